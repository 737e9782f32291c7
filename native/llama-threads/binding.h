// What the helper keeps for one node-llama-cpp context (see llama-threads.cc): the context read and
// checked, llama.cpp's functions from the libraries node-llama-cpp loaded, and the context's own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "AddonContext.h"
#include "AddonModel.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"
#include "step-ways.h"

// llama.cpp's functions, looked up in the loaded libraries (the helper links against nothing of theirs)
struct LlamaFunctions {
  int (*decode)(llama_context*, llama_batch) = nullptr;
  void (*synchronize)(llama_context*) = nullptr;
  void (*attachThreadpool)(llama_context*, ggml_threadpool_t, ggml_threadpool_t) = nullptr;
  void* (*regProcAddress)(ggml_backend_reg_t, const char*) = nullptr;
  ggml_threadpool_params (*threadpoolParamsDefault)(int) = nullptr;
  // the token loop's (token-loop.cc)
  llama_batch (*batchInit)(int32_t, int32_t, int32_t) = nullptr;
  void (*batchFree)(llama_batch) = nullptr;
  uint32_t (*nBatch)(const llama_context*) = nullptr;
  int32_t (*nThreads)(llama_context*) = nullptr;
  int32_t (*nThreadsBatch)(llama_context*) = nullptr;
  void (*setNThreads)(llama_context*, int32_t, int32_t) = nullptr;
  bool (*isEog)(const llama_vocab*, llama_token) = nullptr;
  int32_t (*nVocab)(const llama_vocab*) = nullptr;
  float* (*logitsIth)(llama_context*, int32_t) = nullptr;
  llama_sampler_chain_params (*chainDefaultParams)() = nullptr;
  llama_sampler* (*chainInit)(llama_sampler_chain_params) = nullptr;
  void (*chainAdd)(llama_sampler*, llama_sampler*) = nullptr;
  void (*samplerApply)(llama_sampler*, llama_token_data_array*) = nullptr;
  void (*samplerAccept)(llama_sampler*, llama_token) = nullptr;
  // backend sampling (optional: where missing, the logits are read as before)
  float* (*sampledProbsIth)(llama_context*, int32_t) = nullptr;
  uint32_t (*sampledProbsCountIth)(llama_context*, int32_t) = nullptr;
  float* (*sampledLogitsIth)(llama_context*, int32_t) = nullptr;
  uint32_t (*sampledLogitsCountIth)(llama_context*, int32_t) = nullptr;
  llama_token* (*sampledCandidatesIth)(llama_context*, int32_t) = nullptr;
};

struct Generation;  // token-loop.cc

class Binding {
 public:
  AddonContext* context = nullptr;
  ggml_backend_reg_t cpuReg = nullptr;
  LlamaFunctions fn;
  ggml_threadpool_t pool = nullptr;
  void (*poolFreeFn)(ggml_threadpool_t) = nullptr;
  // puts the pool's workers to sleep; the next graph wakes them (ggml_graph_compute_kickoff)
  void (*poolPauseFn)(ggml_threadpool_t) = nullptr;
  llama_batch loopBatch{};
  int32_t loopBatchSize = 0;
  // the token loop's steps of several streams: one batch or one decode each, as measured here
  StepWays stepWays;

  // the context's thread: jobs (node-llama-cpp's decode steps, or the token loop) run in order; while
  // the token loop runs, it runs the decode steps queued between two of its own
  std::thread thread;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::function<void()>> jobs;
  bool stopping = false;
  // the token loop is running (under `mutex`); generations waiting to join it; all generations not ended
  bool looping = false;
  std::vector<Generation*> joining;
  std::vector<Generation*> generations;
  // every generation in the loop ends after the token it is on (dispose, exit)
  std::atomic<bool> stopAll{false};
  // on the JS thread: a decode step of node-llama-cpp's is in flight (it awaits each)
  bool decodeBusy = false;
  // how many hold the token loop between its steps (under `mutex`): node-llama-cpp between its decode
  // step and the sampling of its logits (a decode now would replace them), or changing a sequence's
  // cells (llama.cpp's memory is not to change under a decode); and whether the loop waits so now
  int holds = 0;
  bool parked = false;
  std::condition_variable parkedCv;
  Napi::ThreadSafeFunction done;
  bool closed = false;

  // How long the thread waits for its next job before the pool's workers are told to sleep. ggml's
  // workers poll for the next graph for a number of rounds (1024 * 128 * poll), about 140 ms at poll
  // 50 on a Zen 4 core and longer on cores with a slower pause instruction: after every request a
  // worker held a core that long (docs/benchmarks.md). Steps come far closer than this while a
  // generation runs (the loop's, or node-llama-cpp's between two of its samplings), so only idle
  // time is cut.
  static constexpr std::chrono::milliseconds kIdleBeforePause{10};

  void run() {
    for (;;) {
      std::function<void()> next;
      {
        std::unique_lock<std::mutex> lock(mutex);
        const auto ready = [this] { return !jobs.empty() || stopping; };
        if (!wake.wait_for(lock, kIdleBeforePause, ready)) {
          if (pool && poolPauseFn) poolPauseFn(pool);
          wake.wait(lock, ready);
        }
        if (jobs.empty()) return;
        next = std::move(jobs.front());
        jobs.pop_front();
      }
      next();
    }
  }

  // from the token loop, between its steps: whether runQueuedAndWait will have work to run or a hold
  // to wait out (so the tokens the loop holds go to JavaScript first)
  bool queuedOrHeld() {
    std::lock_guard<std::mutex> lock(mutex);
    return !jobs.empty() || holds > 0;
  }

  // from the token loop, between its steps: runs node-llama-cpp's queued decode steps, and while it
  // holds the context (hold()), keeps running them until it lets go
  void runQueuedAndWait() {
    for (;;) {
      runQueued();
      std::unique_lock<std::mutex> lock(mutex);
      if (holds == 0 || stopping) return;
      parked = true;
      parkedCv.notify_all();
      wake.wait(lock, [this] { return holds == 0 || stopping || !jobs.empty(); });
      parked = false;
      if (holds == 0 && jobs.empty()) return;
    }
  }

  // runs the jobs queued now
  void runQueued() {
    for (;;) {
      std::function<void()> next;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (jobs.empty()) return;
        next = std::move(jobs.front());
        jobs.pop_front();
      }
      next();
    }
  }

  void post(std::function<void()> work) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      jobs.push_back(std::move(work));
    }
    wake.notify_one();
  }
};

Binding* bindingOf(const Napi::CallbackInfo& info);

// the token loop's entry points (token-loop.cc)
Napi::Value Generate(const Napi::CallbackInfo& info);
Napi::Value StopGeneration(const Napi::CallbackInfo& info);
Napi::Value Hold(const Napi::CallbackInfo& info);
Napi::Value Park(const Napi::CallbackInfo& info);
Napi::Value Steps(const Napi::CallbackInfo& info);
