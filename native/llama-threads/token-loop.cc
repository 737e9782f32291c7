// The token loop (src/backends/llama/tokenLoop.ts): a whole generation on the context's own thread,
// decode and sample in C++, each token streamed to JavaScript as it is sampled.
//
// node-llama-cpp takes each token through JavaScript: a decode job, a hop to the main thread, a
// sampling job, another hop, and its generator's bookkeeping before the next decode. That costs about
// 0.35 ms a token (docs/benchmarks.md): 3% of a token of a small model on two CPU cores, most of a tiny
// model's, and more than that of a GPU token. Here JavaScript only receives the tokens, while the
// next one is already being decoded.
//
// Sampling is node-llama-cpp's own: the caller passes an AddonSampler it configured with
// node-llama-cpp's applyConfig (so a seed gives the same tokens either way), and this file builds and
// applies its chain and grammar as AddonSampler::rebuildChainIfNeeded, AddonSampler::sample and
// AddonSampler::acceptToken do. A repeat penalty starts from no tokens and takes each sampled one, as
// node-llama-cpp's does where it has handed every earlier token on (it punishes only those it has).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "AddonGrammarEvaluationState.h"
#include "AddonSampler.h"
#include "binding.h"

// A token sampled, and when (in ms after generate() was called).
struct Sampled {
  llama_token token;
  double ms;
};

struct Event {
  bool last = false;
};

// One sequence's generation in the loop.
struct Generation {
  explicit Generation(Napi::Env env) : deferred(Napi::Promise::Deferred::New(env)) {}
  Binding* binding = nullptr;
  AddonSampler* sampler = nullptr;
  Napi::ObjectReference samplerRef;  // keeps node-llama-cpp's sampler alive while the loop uses it
  std::vector<llama_token> pending;  // to decode next: the prompt's tail, then each sampled token
  std::vector<llama_token> stopTokens;
  int32_t sequence = 0;
  int32_t position = 0;
  int32_t maxTokens = 0;
  int32_t positionLimit = 0;
  int32_t decodeThreads = 1;
  int32_t batchThreads = 1;
  // while it streams, how long a step with other requests' prompt pieces may take (ms; < 0: any)
  double maxStallMs = -1;
  std::atomic<bool> stop{false};
  std::chrono::steady_clock::time_point called;
  Napi::ThreadSafeFunction tsfn;
  // tokens not yet delivered; one delivery call at a time takes all there are, so a fast loop wakes
  // JavaScript once for several tokens instead of once for each
  std::mutex queueMutex;
  std::vector<Sampled> queue;
  bool delivering = false;
  std::chrono::steady_clock::time_point lastCall;  // when a delivery call last went out
  Napi::Promise::Deferred deferred;
  // in the current step: where its logits are in the batch (-1: none this step)
  int32_t logitIndex = -1;
  // what the loop did: tokens written to the sequence's cells, and why it ended
  int32_t evaluated = 0;
  std::string stopReason;
  std::string error;
};

namespace {

// AddonSampler::rebuildChainIfNeeded: the same samplers in the same order
void buildChain(AddonSampler* s, const LlamaFunctions& f) {
  if (s->chain != nullptr) return;
  llama_sampler* chain = f.chainInit(f.chainDefaultParams());
  auto add = [&](llama_sampler* one) {
    if (one != nullptr) f.chainAdd(chain, one);
  };
  add(s->tokenBiasSampler);
  add(s->repeatPenaltySampler);
  add(s->dryRepeatPenaltySampler);
  if (s->greedySampler != nullptr) {
    add(s->xtcSampler);
    add(s->greedySampler);
  } else {
    add(s->topKSampler);
    add(s->topPSampler);
    add(s->minPSampler);
    add(s->xtcSampler);
    add(s->temperatureSampler);
    add(s->seedSampler);
  }
  s->chain = chain;
}

// AddonSampler::setTokenCandidates
void candidates(AddonSampler* s, const LlamaFunctions& f, llama_context* ctx, int32_t index, int32_t vocabSize, llama_token_data_array& cur) {
  auto& data = s->tokenCandidates;
  const float* probs = f.sampledProbsIth ? f.sampledProbsIth(ctx, index) : nullptr;
  const float* logits = f.sampledLogitsIth ? f.sampledLogitsIth(ctx, index) : nullptr;
  const llama_token* ids = f.sampledCandidatesIth ? f.sampledCandidatesIth(ctx, index) : nullptr;
  if (probs != nullptr && ids != nullptr && f.sampledProbsCountIth) {
    const uint32_t n = f.sampledProbsCountIth(ctx, index);
    if (data.size() < n) data.resize(n);
    for (uint32_t i = 0; i < n; i++) data[i] = llama_token_data{ids[i], logits ? logits[i] : 0.0f, probs[i]};
    cur.size = n;
  } else if (logits != nullptr && ids != nullptr && f.sampledLogitsCountIth) {
    const uint32_t n = f.sampledLogitsCountIth(ctx, index);
    if (data.size() < n) data.resize(n);
    for (uint32_t i = 0; i < n; i++) data[i] = llama_token_data{ids[i], logits[i], 0.0f};
    cur.size = n;
  } else {
    const float* all = f.logitsIth(ctx, index);
    if (all == nullptr) {
      cur.size = 0;
    } else {
      if (data.size() < static_cast<size_t>(vocabSize)) data.resize(vocabSize);
      for (llama_token id = 0; id < vocabSize; id++) data[id] = llama_token_data{id, all[id], 0.0f};
      cur.size = vocabSize;
    }
  }
  cur.data = data.data();
  cur.selected = -1;
  cur.sorted = false;
}

void deliver(Napi::Env env, Napi::Function onTokens, Generation* g, Event* e) {
  std::vector<Sampled> tokens;
  {
    std::lock_guard<std::mutex> lock(g->queueMutex);
    tokens.swap(g->queue);
    g->delivering = false;
  }
  if (env != nullptr && !tokens.empty()) {
    Napi::Array ids = Napi::Array::New(env, tokens.size());
    Napi::Array times = Napi::Array::New(env, tokens.size());
    for (uint32_t i = 0; i < tokens.size(); i++) {
      ids.Set(i, Napi::Number::New(env, tokens[i].token));
      times.Set(i, Napi::Number::New(env, tokens[i].ms));
    }
    onTokens.Call({ids, times});
  }
  if (!e->last) {
    delete e;
    return;
  }
  delete e;
  if (env != nullptr) {
    if (g->error.empty()) {
      Napi::Object r = Napi::Object::New(env);
      r.Set("evaluated", g->evaluated);
      r.Set("stop", g->stopReason);
      g->deferred.Resolve(r);
    } else {
      Napi::Object err = Napi::Error::New(env, g->error).Value();
      err.Set("evaluated", g->evaluated);
      g->deferred.Reject(err);
    }
  }
  delete g;
}

// A reader cannot tell apart tokens that reach it within a millisecond, while each wake of
// JavaScript costs this thread a system call and the main thread a wake-up: tokens sampled faster
// than this go out together (the tiny fixture decoded 7-9% faster: docs/benchmarks.md). A model whose
// step takes longer is not delayed: its every token finds the interval passed.
constexpr auto kDeliveryInterval = std::chrono::milliseconds(1);

// sends the tokens not yet delivered in one call, where none is in flight and `due` says so
template <typename Due>
void deliverIf(Generation* g, Due due) {
  const auto now = std::chrono::steady_clock::now();
  bool call = false;
  {
    std::lock_guard<std::mutex> lock(g->queueMutex);
    call = !g->delivering && !g->queue.empty() && due(now - g->lastCall);
    if (call) {
      g->delivering = true;
      g->lastCall = now;
    }
  }
  if (call) g->tsfn.NonBlockingCall(new Event{false}, [g](Napi::Env env, Napi::Function fn, Event* e) { deliver(env, fn, g, e); });
}

void emit(Generation* g, llama_token token) {
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - g->called).count();
  {
    std::lock_guard<std::mutex> lock(g->queueMutex);
    g->queue.push_back(Sampled{token, ms});
  }
  deliverIf(g, [](auto since) { return since >= kDeliveryInterval; });
}

// before a step that may be long (a prompt piece, node-llama-cpp's decode steps): the tokens held
// back by the interval go out now instead of after it
void deliverHeld(const std::vector<Generation*>& active) {
  for (Generation* g : active) deliverIf(g, [](auto) { return true; });
}

// Prompt pieces beside streaming generations: the fewest tokens a piece is cut to. ggml's CPU flash
// attention takes its tiled path from GGML_FA_TILE_Q (64) query rows on; fewer take the row-by-row
// path, which reads the whole KV cache for each row: deep in a context that costs several times as
// much per token. A step of tokens of several sequences is split per sequence where the KV cache is
// not unified (node-llama-cpp's default), so the piece stays at 64 or more only from twice that.
constexpr int32_t kMinPiece = 128;

// How many prompt tokens a step may take beside generations that are streaming: as many as fit their
// stall limit at the loop's measured cost per token (a step's time over its tokens, from steps of
// kMinPiece tokens or more), at least kMinPiece (also while nothing is measured yet), at most `batch`.
// (vLLM's chunked prefill and Sarathi-Serve cap a step's tokens the same way, by a token budget.)
// Without a streaming generation that has a limit, prompts fill the batch as llama.cpp's server does.
int32_t promptRoom(const std::vector<Generation*>& streaming, double msPerToken, int32_t batch) {
  double limit = -1;
  for (const Generation* g : streaming)
    if (g->maxStallMs >= 0) limit = limit < 0 ? g->maxStallMs : std::min(limit, g->maxStallMs);
  if (limit < 0) return batch;
  const double fits = msPerToken > 0 ? limit / msPerToken : 0;
  return static_cast<int32_t>(std::clamp<double>(fits, kMinPiece, std::max(batch, kMinPiece)));
}

// the generation's last event: its result (after every token), then its thread-safe function goes
void finish(Generation* g) {
  {
    Binding* b = g->binding;
    std::lock_guard<std::mutex> lock(b->mutex);
    b->generations.erase(std::remove(b->generations.begin(), b->generations.end(), g), b->generations.end());
  }
  Napi::ThreadSafeFunction tsfn = g->tsfn;  // g is freed once the last event is delivered
  tsfn.NonBlockingCall(new Event{true}, [g](Napi::Env env, Napi::Function fn, Event* e) { deliver(env, fn, g, e); });
  tsfn.Release();
}

// The loop: each step decodes one batch holding every generation's next tokens (a sampled token, or a
// piece of a prompt), in rising sequence order (the order llama.cpp computes per-sequence cells in one
// go), then samples each generation whose tokens ended in it. Generations join between steps; the
// decode steps node-llama-cpp queues for its own requests run between steps too.
void loop(Binding* b) {
  const LlamaFunctions& f = b->fn;
  llama_context* ctx = b->context->ctx;
  const llama_vocab* vocab = b->context->model->vocab;
  const int32_t vocabSize = f.nVocab(vocab);
  const int32_t before = f.nThreads(ctx);
  const int32_t beforeBatch = f.nThreadsBatch(ctx);
  llama_batch& batch = b->loopBatch;
  std::vector<Generation*> active;
  bool threadsSet = false;
  double msPerToken = 0;  // a step's time over its tokens, recent steps weighing most
  // samples the generation's next token from its logits in the step just decoded (where it has some)
  auto sample = [&](Generation* g) {
    const int32_t index = g->logitIndex;
    g->logitIndex = -1;
    if (index < 0 || !g->error.empty() || !g->stopReason.empty()) return;
    try {
      buildChain(g->sampler, f);
      llama_token_data_array cur;
      candidates(g->sampler, f, ctx, index, vocabSize, cur);
      llama_sampler* grammar = g->sampler->grammarEvaluationState != nullptr ? g->sampler->grammarEvaluationState->sampler : nullptr;
      if (cur.size > 0) f.samplerApply(g->sampler->chain, &cur);
      if (grammar != nullptr && cur.size > 0 && cur.selected >= 0 && cur.selected < static_cast<int64_t>(cur.size)) {
        // AddonSampler::sample: the grammar judges the chain's pick alone; only where it refuses
        // it are all candidates masked by the grammar and sampled again
        llama_token_data one{cur.data[cur.selected].id, 1.0f, 0.0f};
        llama_token_data_array single{&one, 1, -1, false};
        f.samplerApply(grammar, &single);
        if (one.logit == -INFINITY) {
          candidates(g->sampler, f, ctx, index, vocabSize, cur);
          f.samplerApply(grammar, &cur);
          f.samplerApply(g->sampler->chain, &cur);
        }
      }
      if (cur.size == 0 || !(cur.selected >= 0 && cur.selected < static_cast<int64_t>(cur.size))) {
        g->error = "Failed to sample next token";
        return;
      }
      const llama_token token = cur.data[cur.selected].id;
      const bool eog = f.isEog(vocab, token);
      // AddonSampler::acceptToken: the penalties take every sampled token (node-llama-cpp then keeps
      // the sampler's history as it is, each step, where its record of the tokens agrees); the
      // grammar advances on every sampled token but an end token
      if (g->sampler->repeatPenaltySampler != nullptr) {
        f.samplerAccept(g->sampler->repeatPenaltySampler, token);
        g->sampler->repeatPenalty_lastTokens.push_back(token);
      }
      if (grammar != nullptr && !eog) f.samplerAccept(grammar, token);
      if (eog || std::find(g->stopTokens.begin(), g->stopTokens.end(), token) != g->stopTokens.end()) {
        g->stopReason = "eog";
        return;
      }
      emit(g, token);
      if (--g->maxTokens <= 0) g->stopReason = "length";
      else g->pending.assign(1, token);
    } catch (const std::exception& e) {
      g->error = e.what();
    } catch (...) {
      g->error = "Unknown error in hearth's token loop";
    }
  };
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(b->mutex);
      for (Generation* g : b->joining) active.push_back(g);
      b->joining.clear();
      if (active.empty()) {
        b->looping = false;
        b->parkedCv.notify_all();  // a hold waiting for the loop to stand still: it ended
        break;
      }
    }
    if (!threadsSet) {
      // llama.cpp runs one-token batches on n_threads and larger ones on n_threads_batch
      f.setNThreads(ctx, active.front()->decodeThreads, active.front()->batchThreads);
      threadsSet = true;
    }
    std::sort(active.begin(), active.end(), [](const Generation* x, const Generation* y) { return x->sequence < y->sequence; });
    if (b->queuedOrHeld()) deliverHeld(active);
    b->runQueuedAndWait();
    // generations told to stop, or out of room, end before their next token is decoded
    for (Generation* g : active) {
      if (g->stop.load() || b->stopAll.load()) g->stopReason = "abort";
      else if (g->position + static_cast<int32_t>(std::min<size_t>(g->pending.size(), 1)) > g->positionLimit) g->stopReason = "context";
    }
    // the batch: each generation's sampled token first (one each), then prompt pieces in the room left,
    // the shortest first: a short prompt goes in with the next piece of a long one instead of waiting
    // for all of it (the step is as full either way)
    int32_t n = 0;
    std::vector<std::pair<Generation*, int32_t>> taken;  // generation, tokens it put in
    auto sampled = [](const Generation* g) { return g->pending.size() == 1 && g->evaluated > 0; };
    std::vector<Generation*> order(active);
    std::stable_sort(order.begin(), order.end(), [&](const Generation* x, const Generation* y) {
      if (sampled(x) != sampled(y)) return sampled(x);
      return !sampled(x) && x->pending.size() < y->pending.size();
    });
    // prompt pieces are cut so that the generations streaming meanwhile wait no longer than they allow
    std::vector<Generation*> streaming;
    for (Generation* g : active)
      if (g->stopReason.empty() && sampled(g)) streaming.push_back(g);
    int32_t promptLeft = promptRoom(streaming, msPerToken, b->loopBatchSize);
    for (Generation* g : order) {
      if (!g->stopReason.empty() || g->pending.empty() || n >= b->loopBatchSize) continue;
      if (!sampled(g) && promptLeft <= 0) continue;
      int32_t room = std::min<int32_t>(b->loopBatchSize - n, g->positionLimit - g->position);
      if (!sampled(g)) room = std::min(room, promptLeft);
      const int32_t k = std::min<int32_t>(room, static_cast<int32_t>(g->pending.size()));
      if (k <= 0) continue;
      taken.emplace_back(g, k);
      n += k;
      if (!sampled(g)) promptLeft -= k;
    }
    std::sort(taken.begin(), taken.end(), [](const auto& x, const auto& y) { return x.first->sequence < y.first->sequence; });
    if (std::any_of(taken.begin(), taken.end(), [&](const auto& t) { return !sampled(t.first); })) deliverHeld(active);
    // the streams' tokens alone: one batch, or one decode each where that measured faster (step-ways.h)
    const bool streamsOnly =
        !taken.empty() && std::all_of(taken.begin(), taken.end(), [&](const auto& t) { return sampled(t.first) && t.second == 1; });
    const bool split = streamsOnly && b->stepWays.split(taken.size());
    // the decodes of this step: all of `taken` at once, or one entry each
    const size_t per = split ? 1 : taken.size();
    double decodeMs = 0;
    bool failed = false;
    for (size_t from = 0; from < taken.size(); from += per) {
      const auto first = taken.begin() + static_cast<std::ptrdiff_t>(from);
      const auto last = first + static_cast<std::ptrdiff_t>(per);
      n = 0;
      for (auto it = first; it != last; ++it) {
        auto& [g, k] = *it;
        for (int32_t j = 0; j < k; j++) {
          batch.token[n] = g->pending[j];
          batch.pos[n] = g->position + j;
          batch.n_seq_id[n] = 1;
          batch.seq_id[n][0] = g->sequence;
          batch.logits[n] = j + 1 == k && k == static_cast<int32_t>(g->pending.size());
          if (batch.logits[n]) g->logitIndex = n;
          n++;
        }
      }
      batch.n_tokens = n;
      std::string failure;
      if (n > 0) {
        try {
          const auto t0 = std::chrono::steady_clock::now();
          const int status = f.decode(ctx, batch);
          // node-llama-cpp's messages for these results (AddonContextDecodeBatchWorker)
          if (status == 1) failure = "could not find a KV slot for the batch (try reducing the size of the batch or increase the context)";
          else if (status != 0) failure = "Eval has failed";
          else f.synchronize(ctx);
          const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
          decodeMs += ms;
          if (status == 0 && n >= kMinPiece) msPerToken = msPerToken > 0 ? (msPerToken + ms / n) / 2 : ms / n;
        } catch (const std::exception& e) {
          failure = e.what();
        } catch (...) {
          failure = "Unknown error in hearth's token loop";
        }
      }
      failed = failed || !failure.empty();
      for (auto it = first; it != last; ++it) {
        auto& [g, k] = *it;
        if (!failure.empty()) {
          g->error = failure;
          g->logitIndex = -1;
          continue;
        }
        g->evaluated += k;
        g->position += k;
        g->pending.erase(g->pending.begin(), g->pending.begin() + k);
      }
      // sample each generation whose tokens ended in this batch (before the next batch's logits replace theirs)
      for (auto it = first; it != last; ++it) sample(it->first);
    }
    if (streamsOnly && !failed) b->stepWays.record(taken.size(), split, decodeMs);
    // the ended generations leave; their results go out after their tokens
    std::vector<Generation*> still;
    std::vector<Generation*> ended;
    for (Generation* g : active) (g->error.empty() && g->stopReason.empty() ? still : ended).push_back(g);
    bool last = false;
    if (still.empty()) {
      std::lock_guard<std::mutex> lock(b->mutex);
      last = b->joining.empty();
      if (last) {
        b->looping = false;
        b->parkedCv.notify_all();  // a hold waiting for the loop to stand still: it ended
      }
    }
    // after the last result the context may be freed at once: nothing here touches it after that
    if (last) f.setNThreads(ctx, before, beforeBatch);
    for (Generation* g : ended) finish(g);
    if (last) return;
    active.swap(still);
  }
  if (threadsSet) f.setNThreads(ctx, before, beforeBatch);
}

std::vector<llama_token> tokensOf(const Napi::Value& v) {
  std::vector<llama_token> out;
  Napi::Uint32Array a = v.As<Napi::Uint32Array>();
  out.reserve(a.ElementLength());
  for (size_t i = 0; i < a.ElementLength(); i++) out.push_back(static_cast<llama_token>(a[i]));
  return out;
}

int32_t intOf(Napi::Object o, const char* key) { return o.Get(key).As<Napi::Number>().Int32Value(); }

}  // namespace

// generate(binding, sampler, tokens: Uint32Array, options, onTokens(tokens[], ms[])) ->
//   Promise<{ evaluated, stop: "eog" | "length" | "abort" | "context" }>
// options: { sequence, position, maxTokens, positionLimit, decodeThreads, batchThreads, stopTokens: Uint32Array,
// maxStallMs }: while this generation streams, other prompts go in pieces sized to keep a step within
// maxStallMs (at the loop's measured cost per token; never under kMinPiece tokens).
// Decodes `tokens` into the sequence's cells from `position` on, then samples and decodes one token
// at a time until an end token (not delivered, not decoded), `maxTokens` delivered (the last is not
// decoded), stop(), or `positionLimit`. onTokens gets the tokens sampled since its last call, in order,
// and when each was sampled (ms after the call); all of them before the promise settles. Generations
// on other sequences of the context join the same loop. `evaluated`: how many tokens went into the
// cells (also on a rejection's error), so the caller can keep node-llama-cpp's record in step.
Napi::Value Generate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Binding* b = bindingOf(info);
  if (!b) return env.Undefined();
  if (info.Length() < 5 || !info[1].IsObject() || !info[2].IsTypedArray() || !info[3].IsObject() || !info[4].IsFunction()) {
    Napi::TypeError::New(env, "generate(binding, sampler, tokens, options, onTokens)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  auto* g = new Generation(env);
  g->called = std::chrono::steady_clock::now();
  Napi::Promise promise = g->deferred.Promise();
  auto fail = [&](const std::string& why) {
    g->deferred.Reject(Napi::Error::New(env, why).Value());
    delete g;
    return promise;
  };
  void* raw = nullptr;
  if (napi_unwrap(env, info[1], &raw) != napi_ok || raw == nullptr) return fail("not a node-llama-cpp sampler");
  auto* sampler = static_cast<AddonSampler*>(raw);
  if (sampler->model != b->context->model) return fail("the sampler is not for this context's model (node-llama-cpp's layout differs)");
  if (sampler->disposed) return fail("the sampler is disposed");
  // DRY's sequence breakers and history are node-llama-cpp's JavaScript's to keep
  if (sampler->dryRepeatPenaltySampler != nullptr) return fail("the token loop takes no DRY penalty");
  if (sampler->grammarEvaluationState != nullptr && sampler->grammarEvaluationState->model != b->context->model)
    return fail("the grammar is not for this context's model (node-llama-cpp's layout differs)");
  if (b->context->disposed || b->context->ctx == nullptr) return fail("Context is disposed");
  if (info[2].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) return fail("tokens must be a Uint32Array");
  Napi::Object o = info[3].As<Napi::Object>();
  g->binding = b;
  g->sampler = sampler;
  g->pending = tokensOf(info[2]);
  g->sequence = intOf(o, "sequence");
  g->position = intOf(o, "position");
  g->maxTokens = intOf(o, "maxTokens");
  g->positionLimit = intOf(o, "positionLimit");
  g->decodeThreads = intOf(o, "decodeThreads");
  g->batchThreads = intOf(o, "batchThreads");
  if (o.Has("stopTokens")) g->stopTokens = tokensOf(o.Get("stopTokens"));
  if (o.Has("maxStallMs") && o.Get("maxStallMs").IsNumber()) g->maxStallMs = o.Get("maxStallMs").As<Napi::Number>().DoubleValue();
  if (g->pending.empty() || g->maxTokens < 1 || g->position < 0 || g->sequence < 0 || g->decodeThreads < 1 || g->batchThreads < 1)
    return fail("generate() needs tokens, maxTokens of 1 or more, a sequence, a position and thread counts");
  const int32_t vocabSize = b->fn.nVocab(b->context->model->vocab);
  for (llama_token t : g->pending) {
    if (t < 0 || t >= vocabSize) return fail("a token is outside the model's vocabulary");
  }
  if (b->loopBatchSize == 0) {
    const int32_t size = static_cast<int32_t>(b->fn.nBatch(b->context->ctx));
    b->loopBatch = b->fn.batchInit(size, 0, 1);
    b->loopBatchSize = size;
  }
  {
    std::lock_guard<std::mutex> lock(b->mutex);
    for (Generation* other : b->generations) {
      if (other->sequence == g->sequence) return fail("the sequence is busy with another generation");
    }
  }
  g->samplerRef = Napi::Persistent(info[1].As<Napi::Object>());
  g->tsfn = Napi::ThreadSafeFunction::New(env, info[4].As<Napi::Function>(), "hearth-llama-token-loop", 0, 1);
  bool start = false;
  {
    std::lock_guard<std::mutex> lock(b->mutex);
    if (!b->looping) b->stopAll = false;
    b->joining.push_back(g);
    b->generations.push_back(g);
    start = !b->looping;
    b->looping = true;
  }
  if (start) b->post([b] { loop(b); });
  else b->wake.notify_one();
  return promise;
}

// stop(binding, sequence?): that sequence's generation (without one: every generation of the context)
// ends after the token it is on
Napi::Value StopGeneration(const Napi::CallbackInfo& info) {
  Binding* b = bindingOf(info);
  if (!b) return info.Env().Undefined();
  if (info.Length() < 2 || info[1].IsUndefined()) {
    b->stopAll = true;
    return info.Env().Undefined();
  }
  if (!info[1].IsNumber()) {
    Napi::TypeError::New(info.Env(), "stop(binding, sequence?)").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  const int32_t sequence = info[1].As<Napi::Number>().Int32Value();
  std::lock_guard<std::mutex> lock(b->mutex);
  for (Generation* g : b->generations) {
    if (g->sequence == sequence) g->stop = true;
  }
  return info.Env().Undefined();
}

// hold(binding, on, wait?): one more (or one fewer) holder of the token loop between its steps. With
// `wait`, returns once the loop waits between two steps (at most one step later) or is not running, so
// the caller may change the context's memory.
Napi::Value Hold(const Napi::CallbackInfo& info) {
  Binding* b = bindingOf(info);
  if (!b) return info.Env().Undefined();
  if (info.Length() < 2 || !info[1].IsBoolean()) {
    Napi::TypeError::New(info.Env(), "hold(binding, on, wait?)").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  const bool on = info[1].As<Napi::Boolean>().Value();
  const bool wait = info.Length() > 2 && info[2].IsBoolean() && info[2].As<Napi::Boolean>().Value();
  std::unique_lock<std::mutex> lock(b->mutex);
  if (on) b->holds++;
  else if (b->holds > 0) b->holds--;
  b->wake.notify_all();
  if (on && wait) b->parkedCv.wait(lock, [b] { return !b->looping || b->parked || b->stopping; });
  return info.Env().Undefined();
}

// steps(binding) -> [{ streams, joinedMs, joinedSteps, splitMs, splitSteps, split }]: how the loop
// has timed steps of several streams' tokens, per stream count, each way (step-ways.h), and the way
// it takes now
Napi::Value Steps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Binding* b = bindingOf(info);
  if (!b) return env.Undefined();
  const auto measured = b->stepWays.measured();
  Napi::Array out = Napi::Array::New(env, measured.size());
  for (uint32_t i = 0; i < measured.size(); i++) {
    const auto& m = measured[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("streams", m.streams);
    o.Set("joinedMs", m.joinedMs);
    o.Set("joinedSteps", m.joinedSteps);
    o.Set("splitMs", m.splitMs);
    o.Set("splitSteps", m.splitSteps);
    o.Set("split", m.split);
    out.Set(i, o);
  }
  return out;
}

// park(binding) -> Promise<void>: one more holder of the token loop between its steps, as hold() with
// `wait`, without blocking JavaScript: resolves once the loop stands between two steps (a job the
// loop runs there, before it parks for the hold) or at once where it is not running. Let go with
// hold(binding, false).
Napi::Value Park(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Binding* b = bindingOf(info);
  if (!b) return env.Undefined();
  auto* d = new Napi::Promise::Deferred(env);
  Napi::Promise promise = d->Promise();
  bool now;
  {
    std::lock_guard<std::mutex> lock(b->mutex);
    b->holds++;
    now = !b->looping || b->parked || b->stopping || b->closed;
  }
  b->wake.notify_all();
  if (now) {
    d->Resolve(env.Undefined());
    delete d;
    return promise;
  }
  b->post([b, d] {
    b->done.NonBlockingCall(d, [](Napi::Env env, Napi::Function, Napi::Promise::Deferred* deferred) {
      deferred->Resolve(env.Undefined());
      delete deferred;
    });
  });
  return promise;
}

