// What the helper keeps for one node-llama-cpp context (see llama-threads.cc): the context read and
// checked, llama.cpp's functions from the libraries node-llama-cpp loaded, and the context's own thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "AddonContext.h"
#include "AddonModel.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"

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
  // backend sampling (optional: where missing, the logits are read as before)
  float* (*sampledProbsIth)(llama_context*, int32_t) = nullptr;
  uint32_t (*sampledProbsCountIth)(llama_context*, int32_t) = nullptr;
  float* (*sampledLogitsIth)(llama_context*, int32_t) = nullptr;
  uint32_t (*sampledLogitsCountIth)(llama_context*, int32_t) = nullptr;
  llama_token* (*sampledCandidatesIth)(llama_context*, int32_t) = nullptr;
};

class Binding {
 public:
  AddonContext* context = nullptr;
  ggml_backend_reg_t cpuReg = nullptr;
  LlamaFunctions fn;
  ggml_threadpool_t pool = nullptr;
  void (*poolFreeFn)(ggml_threadpool_t) = nullptr;
  llama_batch loopBatch{};
  int32_t loopBatchSize = 0;

  // the context's thread: one job at a time (a decode step or a token loop), run in order
  std::thread thread;
  std::mutex mutex;
  std::condition_variable wake;
  std::function<void()> job;
  bool stopping = false;
  // set on the JS thread while a job runs, cleared when its result is delivered
  bool busy = false;
  std::atomic<bool> stopLoop{false};
  Napi::ThreadSafeFunction done;
  bool closed = false;

  void run() {
    for (;;) {
      std::function<void()> next;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [this] { return job || stopping; });
        if (!job) return;
        next = std::move(job);
        job = nullptr;
      }
      next();
    }
  }

  void post(std::function<void()> work) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      job = std::move(work);
    }
    wake.notify_one();
  }
};

Binding* bindingOf(const Napi::CallbackInfo& info);

// the token loop's entry points (token-loop.cc)
Napi::Value Generate(const Napi::CallbackInfo& info);
Napi::Value StopGeneration(const Napi::CallbackInfo& info);
