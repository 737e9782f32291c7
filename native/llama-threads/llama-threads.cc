// hearth's threads for node-llama-cpp's llama.cpp contexts (src/backends/llama/contextThreads.ts): a persistent
// ggml thread pool on the prebuilt, and a decode thread of the context's own.
//
// The prebuilt binaries have no OpenMP and node-llama-cpp attaches no ggml thread pool to its contexts, so
// every graph compute (every decode step) starts and joins its worker threads: a second thread then costs
// more than it saves. llama.cpp's own tools attach a persistent pool (llama_attach_threadpool), whose
// workers poll briefly for the next graph and then sleep. This addon does that for a context
// node-llama-cpp created.
//
// node-llama-cpp exposes no llama_context pointer, so the addon reads it from the native object behind the
// context's JS object (napi_unwrap works across addons of one process), through node-llama-cpp's own
// header of that class (its npm package ships the addon's source) and llama.cpp's headers of the same
// release. node-llama-cpp is pinned exactly; the addon records the version it was compiled against, and
// before it touches anything it checks the layout: the context's model is the model object's, and
// llama.cpp reports that model and the context size for the pointer it read. Any mismatch is a refusal
// with its reason, never a guess.
//
// llama.cpp's and ggml's functions come from the libraries node-llama-cpp already loaded (dlopen with
// RTLD_NOLOAD on their paths), so this addon links against nothing of theirs.
//
// The decode thread: node-llama-cpp runs each llama_decode as a job on libuv's pool, and successive
// steps land on different pool threads, which cost in-process decode 6-12% against one pool thread
// (docs/benchmarks.md); with OpenMP each of those threads also keeps a team of its own. decode() runs
// the same call (llama_decode on the context's batch, then llama_synchronize, as node-llama-cpp's
// AddonContextDecodeBatchWorker does) on one thread per context, always the same. The same thread runs
// the token loop (token-loop.cc), and node-llama-cpp's decode steps between the loop's steps.
#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <set>
#include <string>

#include "binding.h"

#ifndef HEARTH_NLC_VERSION
#error "HEARTH_NLC_VERSION (node-llama-cpp's version) must be defined"
#endif

namespace {

template <class F>
void find(void* lib, const char* name, F& out) {
  out = lib ? reinterpret_cast<F>(dlsym(lib, name)) : nullptr;
}

void* loaded(const std::string& file) { return dlopen(file.c_str(), RTLD_LAZY | RTLD_NOLOAD); }

struct Decoded {
  int status = 0;  // llama_decode's result; -1000: an exception, with its message
  std::string message;
  Napi::Promise::Deferred* deferred = nullptr;
};

// node-llama-cpp's own messages for these results (AddonContextDecodeBatchWorker)
void settle(Napi::Env env, Decoded* r) {
  Napi::Promise::Deferred* d = r->deferred;
  if (r->status == 0) d->Resolve(env.Undefined());
  else if (r->status == 1)
    d->Reject(Napi::Error::New(env, "could not find a KV slot for the batch (try reducing the size of the batch or increase the context)").Value());
  else if (r->status == -1000) d->Reject(Napi::Error::New(env, r->message).Value());
  else d->Reject(Napi::Error::New(env, "Eval has failed").Value());
  delete d;
  delete r;
}

Napi::Value refuse(Napi::Env env, const std::string& why) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("reason", why);
  return r;
}

// The contexts with a thread of ours. A process that exits while one runs a step (process.exit in
// the middle of a generation) would free llama.cpp's and ggml's statics under it; at exit each
// thread finishes its step (a token loop stops after its token) and ends first.
std::mutex liveMutex;
std::set<Binding*> live;

void endThreadsAtExit() {
  std::lock_guard<std::mutex> guard(liveMutex);
  for (Binding* b : live) {
    b->stopAll = true;
    {
      std::lock_guard<std::mutex> lock(b->mutex);
      b->stopping = true;
    }
    b->wake.notify_one();
    if (b->thread.joinable()) b->thread.join();
  }
  live.clear();
}

}  // namespace

Binding* bindingOf(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) {
    Napi::TypeError::New(info.Env(), "the first argument must be what open() returned").ThrowAsJavaScriptException();
    return nullptr;
  }
  Binding* b = info[0].As<Napi::External<Binding>>().Data();
  if (b->closed) {
    Napi::Error::New(info.Env(), "the context's helper is closed").ThrowAsJavaScriptException();
    return nullptr;
  }
  return b;
}

namespace {

// open(context._ctx, model._model, { llama, ggml, ggmlBase }, contextCells) -> { binding } | { reason }
Napi::Value Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsObject() || !info[1].IsObject() || !info[2].IsObject() || !info[3].IsNumber()) {
    Napi::TypeError::New(env, "open(context, model, libraries, contextCells)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object libs = info[2].As<Napi::Object>();
  const uint32_t cells = info[3].As<Napi::Number>().Uint32Value();

  void* rawContext = nullptr;
  void* rawModel = nullptr;
  if (napi_unwrap(env, info[0], &rawContext) != napi_ok || rawContext == nullptr) return refuse(env, "not a node-llama-cpp context");
  if (napi_unwrap(env, info[1], &rawModel) != napi_ok || rawModel == nullptr) return refuse(env, "not a node-llama-cpp model");
  auto* context = static_cast<AddonContext*>(rawContext);
  auto* model = static_cast<AddonModel*>(rawModel);
  if (context->model != model) return refuse(env, "the context's model is not this model (node-llama-cpp's layout differs)");
  if (context->disposed || !context->contextLoaded || context->ctx == nullptr) return refuse(env, "the context is not loaded");

  void* llama = loaded(libs.Get("llama").ToString().Utf8Value());
  void* ggml = loaded(libs.Get("ggml").ToString().Utf8Value());
  void* ggmlBase = loaded(libs.Get("ggmlBase").ToString().Utf8Value());
  if (!llama || !ggml || !ggmlBase) return refuse(env, "node-llama-cpp's prebuilt libraries are not the ones loaded");
  const llama_model* (*getModel)(const llama_context*);
  uint32_t (*nCtx)(const llama_context*);
  ggml_backend_dev_t (*devByType)(enum ggml_backend_dev_type);
  ggml_backend_reg_t (*devReg)(ggml_backend_dev_t);
  find(llama, "llama_get_model", getModel);
  find(llama, "llama_n_ctx", nCtx);
  find(ggml, "ggml_backend_dev_by_type", devByType);
  find(ggmlBase, "ggml_backend_dev_backend_reg", devReg);
  LlamaFunctions f;
  find(llama, "llama_decode", f.decode);
  find(llama, "llama_synchronize", f.synchronize);
  find(llama, "llama_attach_threadpool", f.attachThreadpool);
  find(ggmlBase, "ggml_backend_reg_get_proc_address", f.regProcAddress);
  find(ggmlBase, "ggml_threadpool_params_default", f.threadpoolParamsDefault);
  find(llama, "llama_batch_init", f.batchInit);
  find(llama, "llama_batch_free", f.batchFree);
  find(llama, "llama_n_batch", f.nBatch);
  find(llama, "llama_n_threads", f.nThreads);
  find(llama, "llama_n_threads_batch", f.nThreadsBatch);
  find(llama, "llama_set_n_threads", f.setNThreads);
  find(llama, "llama_vocab_is_eog", f.isEog);
  find(llama, "llama_vocab_n_tokens", f.nVocab);
  find(llama, "llama_get_logits_ith", f.logitsIth);
  find(llama, "llama_sampler_chain_default_params", f.chainDefaultParams);
  find(llama, "llama_sampler_chain_init", f.chainInit);
  find(llama, "llama_sampler_chain_add", f.chainAdd);
  find(llama, "llama_sampler_apply", f.samplerApply);
  find(llama, "llama_sampler_accept", f.samplerAccept);
  find(llama, "llama_get_sampled_probs_ith", f.sampledProbsIth);
  find(llama, "llama_get_sampled_probs_count_ith", f.sampledProbsCountIth);
  find(llama, "llama_get_sampled_logits_ith", f.sampledLogitsIth);
  find(llama, "llama_get_sampled_logits_count_ith", f.sampledLogitsCountIth);
  find(llama, "llama_get_sampled_candidates_ith", f.sampledCandidatesIth);
  if (!getModel || !nCtx || !devByType || !devReg || !f.decode || !f.synchronize || !f.attachThreadpool || !f.regProcAddress ||
      !f.threadpoolParamsDefault || !f.batchInit || !f.batchFree || !f.nBatch || !f.nThreads || !f.nThreadsBatch || !f.setNThreads ||
      !f.isEog || !f.nVocab || !f.logitsIth || !f.chainDefaultParams || !f.chainInit || !f.chainAdd || !f.samplerApply ||
      !f.samplerAccept) {
    return refuse(env, "llama.cpp's libraries lack the functions the helper calls");
  }
  if (getModel(context->ctx) != model->model || nCtx(context->ctx) != cells) {
    return refuse(env, "llama.cpp does not recognise the context read (node-llama-cpp's layout differs)");
  }
  auto* b = new Binding();
  b->context = context;
  b->fn = f;
  ggml_backend_dev_t cpu = devByType(GGML_BACKEND_DEVICE_TYPE_CPU);
  b->cpuReg = cpu ? devReg(cpu) : nullptr;

  b->done = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "hearth-llama-decode", 0, 1);
  b->done.Unref(env);  // an idle decode thread keeps no process alive; decode() refs it while a step runs
  b->thread = std::thread([b] { b->run(); });
  {
    std::lock_guard<std::mutex> guard(liveMutex);
    static const bool registered = std::atexit(endThreadsAtExit) == 0;
    (void)registered;
    live.insert(b);
  }
  Napi::Object r = Napi::Object::New(env);
  // freed with its JS handle once closed; one never closed keeps its thread and stays
  r.Set("binding", Napi::External<Binding>::New(env, b, [](Napi::Env, Binding* done) {
    if (done->closed) delete done;
  }));
  return r;
}

// pool(binding, threads, poll) -> undefined | reason: a persistent ggml pool for the context's CPU work
Napi::Value Pool(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Binding* b = bindingOf(info);
  if (!b) return env.Undefined();
  if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber()) {
    Napi::TypeError::New(env, "pool(binding, threads, poll)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const int threads = info[1].As<Napi::Number>().Int32Value();
  const int poll = info[2].As<Napi::Number>().Int32Value();
  if (threads < 1 || threads > GGML_MAX_N_THREADS || poll < 0 || poll > 100) return Napi::String::New(env, "threads or poll out of range");
  if (b->pool) return Napi::String::New(env, "the context has a pool already");
  if (!b->cpuReg) return Napi::String::New(env, "no CPU backend is loaded");
  // a CPU library built with OpenMP keeps its workers already and ignores a pool's threads
  auto features = reinterpret_cast<ggml_backend_feature* (*)(ggml_backend_reg_t)>(b->fn.regProcAddress(b->cpuReg, "ggml_backend_get_features"));
  if (features) {
    for (ggml_backend_feature* f = features(b->cpuReg); f && f->name; f++) {
      if (std::strcmp(f->name, "OPENMP") == 0) return Napi::String::New(env, "the CPU library uses OpenMP, whose workers persist already");
    }
  }
  auto poolNew = reinterpret_cast<ggml_threadpool_t (*)(ggml_threadpool_params*)>(b->fn.regProcAddress(b->cpuReg, "ggml_threadpool_new"));
  b->poolFreeFn = reinterpret_cast<void (*)(ggml_threadpool_t)>(b->fn.regProcAddress(b->cpuReg, "ggml_threadpool_free"));
  if (!poolNew || !b->poolFreeFn) return Napi::String::New(env, "the CPU backend has no thread pool functions");
  // not among the backend's proc addresses: looked up in the CPU library that holds ggml_threadpool_new
  // (where missing, idle workers poll out ggml's own spin as before)
  Dl_info where{};
  if (dladdr(reinterpret_cast<void*>(poolNew), &where) && where.dli_fname) {
    find(loaded(where.dli_fname), "ggml_threadpool_pause", b->poolPauseFn);
  }
  ggml_threadpool_params params = b->fn.threadpoolParamsDefault(threads);
  params.poll = static_cast<uint32_t>(poll);
  ggml_threadpool_t pool = poolNew(&params);
  if (!pool) return Napi::String::New(env, "ggml could not start the thread pool");
  b->fn.attachThreadpool(b->context->ctx, pool, pool);
  {
    // the context's thread reads it between jobs (Binding::run)
    std::lock_guard<std::mutex> lock(b->mutex);
    b->pool = pool;
  }
  return env.Undefined();
}

// decode(binding) -> Promise<void>: llama_decode of the context's batch on the context's own thread
Napi::Value Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Binding* b = bindingOf(info);
  if (!b) return env.Undefined();
  auto* d = new Napi::Promise::Deferred(env);
  Napi::Promise promise = d->Promise();
  if (b->decodeBusy || b->context->disposed || b->context->ctx == nullptr) {
    d->Reject(Napi::Error::New(env, b->decodeBusy ? "a decode of this context is running already" : "Context is disposed").Value());
    delete d;
    return promise;
  }
  b->decodeBusy = true;
  b->done.Ref(env);
  b->post([b, d] {
    auto* r = new Decoded();
    r->deferred = d;
    try {
      r->status = b->fn.decode(b->context->ctx, b->context->batch);
      if (r->status == 0) b->fn.synchronize(b->context->ctx);
    } catch (const std::exception& e) {
      r->status = -1000;
      r->message = e.what();
    } catch (...) {
      r->status = -1000;
      r->message = "Unknown error when calling \"llama_decode\"";
    }
    b->done.NonBlockingCall(r, [b](Napi::Env env, Napi::Function, Decoded* result) {
      b->decodeBusy = false;
      b->done.Unref(env);
      settle(env, result);
    });
  });
  return promise;
}

// close(binding): stops the context's thread and frees the pool; call once the native context is freed
Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal()) {
    Napi::TypeError::New(env, "close(binding)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Binding* b = info[0].As<Napi::External<Binding>>().Data();
  if (b->closed) return env.Undefined();
  bool generating;
  {
    std::lock_guard<std::mutex> lock(b->mutex);
    generating = !b->generations.empty();
  }
  if (b->decodeBusy || generating) {
    Napi::Error::New(env, "a decode of this context is still running").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  b->closed = true;
  {
    std::lock_guard<std::mutex> guard(liveMutex);
    live.erase(b);
  }
  {
    std::lock_guard<std::mutex> lock(b->mutex);
    b->stopping = true;
  }
  b->wake.notify_one();
  b->thread.join();
  b->done.Release();
  if (b->loopBatchSize > 0) {
    b->fn.batchFree(b->loopBatch);
    b->loopBatchSize = 0;
  }
  if (b->pool) {
    b->poolFreeFn(b->pool);
    b->pool = nullptr;
  }
  return env.Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("nodeLlamaCppVersion", Napi::String::New(env, HEARTH_NLC_VERSION));
  exports.Set("open", Napi::Function::New(env, Open));
  exports.Set("pool", Napi::Function::New(env, Pool));
  exports.Set("decode", Napi::Function::New(env, Decode));
  exports.Set("generate", Napi::Function::New(env, Generate));
  exports.Set("stop", Napi::Function::New(env, StopGeneration));
  exports.Set("hold", Napi::Function::New(env, Hold));
  exports.Set("park", Napi::Function::New(env, Park));
  exports.Set("steps", Napi::Function::New(env, Steps));
  exports.Set("close", Napi::Function::New(env, Close));
  return exports;
}

}  // namespace

NODE_API_MODULE(hearth_llama_threads, Init)
