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
// AddonContextDecodeBatchWorker does) on one thread per context, always the same.
#include <dlfcn.h>

#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "AddonContext.h"
#include "AddonModel.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"

#ifndef HEARTH_NLC_VERSION
#error "HEARTH_NLC_VERSION (node-llama-cpp's version) must be defined"
#endif

namespace {

template <class F>
F symbol(void* lib, const char* name) {
  return lib ? reinterpret_cast<F>(dlsym(lib, name)) : nullptr;
}

void* loaded(const std::string& file) { return dlopen(file.c_str(), RTLD_LAZY | RTLD_NOLOAD); }

struct Decoded {
  int status = 0;  // llama_decode's result; -1000: an exception, with its message
  std::string message;
};

// One node-llama-cpp context, read and checked: what pool() and decode() work on.
class Binding {
 public:
  AddonContext* context = nullptr;
  ggml_backend_reg_t cpuReg = nullptr;
  int (*decodeFn)(llama_context*, llama_batch) = nullptr;
  void (*synchronizeFn)(llama_context*) = nullptr;
  void (*attachFn)(llama_context*, ggml_threadpool_t, ggml_threadpool_t) = nullptr;
  void* (*procFn)(ggml_backend_reg_t, const char*) = nullptr;
  ggml_threadpool_params (*paramsDefaultFn)(int) = nullptr;
  ggml_threadpool_t pool = nullptr;
  void (*poolFreeFn)(ggml_threadpool_t) = nullptr;

  // the decode thread; one decode at a time (node-llama-cpp awaits each)
  std::thread thread;
  std::mutex mutex;
  std::condition_variable wake;
  bool pending = false;
  bool stopping = false;
  Napi::ThreadSafeFunction done;
  Napi::Promise::Deferred* deferred = nullptr;
  bool closed = false;

  void run() {
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [this] { return pending || stopping; });
        if (stopping && !pending) return;
      }
      auto* result = new Decoded();
      try {
        result->status = decodeFn(context->ctx, context->batch);
        if (result->status == 0) synchronizeFn(context->ctx);
      } catch (const std::exception& e) {
        result->status = -1000;
        result->message = e.what();
      } catch (...) {
        result->status = -1000;
        result->message = "Unknown error when calling \"llama_decode\"";
      }
      {
        std::lock_guard<std::mutex> lock(mutex);
        pending = false;
      }
      done.NonBlockingCall(result, [this](Napi::Env env, Napi::Function, Decoded* r) { settle(env, r); });
    }
  }

  void settle(Napi::Env env, Decoded* r) {
    Napi::Promise::Deferred* d = deferred;
    deferred = nullptr;
    done.Unref(env);
    if (d) {
      // node-llama-cpp's own messages for these results (AddonContextDecodeBatchWorker)
      if (r->status == 0) d->Resolve(env.Undefined());
      else if (r->status == 1)
        d->Reject(Napi::Error::New(env, "could not find a KV slot for the batch (try reducing the size of the batch or increase the context)").Value());
      else if (r->status == -1000) d->Reject(Napi::Error::New(env, r->message).Value());
      else d->Reject(Napi::Error::New(env, "Eval has failed").Value());
      delete d;
    }
    delete r;
  }
};

Napi::Value refuse(Napi::Env env, const std::string& why) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("reason", why);
  return r;
}

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
  auto getModel = symbol<const llama_model* (*)(const llama_context*)>(llama, "llama_get_model");
  auto nCtx = symbol<uint32_t (*)(const llama_context*)>(llama, "llama_n_ctx");
  auto devByType = symbol<ggml_backend_dev_t (*)(enum ggml_backend_dev_type)>(ggml, "ggml_backend_dev_by_type");
  auto devReg = symbol<ggml_backend_reg_t (*)(ggml_backend_dev_t)>(ggmlBase, "ggml_backend_dev_backend_reg");
  auto* b = new Binding();
  b->context = context;
  b->decodeFn = symbol<int (*)(llama_context*, llama_batch)>(llama, "llama_decode");
  b->synchronizeFn = symbol<void (*)(llama_context*)>(llama, "llama_synchronize");
  b->attachFn = symbol<void (*)(llama_context*, ggml_threadpool_t, ggml_threadpool_t)>(llama, "llama_attach_threadpool");
  b->procFn = symbol<void* (*)(ggml_backend_reg_t, const char*)>(ggmlBase, "ggml_backend_reg_get_proc_address");
  b->paramsDefaultFn = symbol<ggml_threadpool_params (*)(int)>(ggmlBase, "ggml_threadpool_params_default");
  if (!getModel || !nCtx || !devByType || !devReg || !b->decodeFn || !b->synchronizeFn || !b->attachFn || !b->procFn || !b->paramsDefaultFn) {
    delete b;
    return refuse(env, "llama.cpp's libraries lack the functions the helper calls");
  }
  if (getModel(context->ctx) != model->model || nCtx(context->ctx) != cells) {
    delete b;
    return refuse(env, "llama.cpp does not recognise the context read (node-llama-cpp's layout differs)");
  }
  ggml_backend_dev_t cpu = devByType(GGML_BACKEND_DEVICE_TYPE_CPU);
  b->cpuReg = cpu ? devReg(cpu) : nullptr;

  b->done = Napi::ThreadSafeFunction::New(env, Napi::Function::New(env, [](const Napi::CallbackInfo&) {}), "hearth-llama-decode", 0, 1);
  b->done.Unref(env);  // an idle decode thread keeps no process alive; decode() refs it while a step runs
  b->thread = std::thread([b] { b->run(); });
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
  auto features = reinterpret_cast<ggml_backend_feature* (*)(ggml_backend_reg_t)>(b->procFn(b->cpuReg, "ggml_backend_get_features"));
  if (features) {
    for (ggml_backend_feature* f = features(b->cpuReg); f && f->name; f++) {
      if (std::strcmp(f->name, "OPENMP") == 0) return Napi::String::New(env, "the CPU library uses OpenMP, whose workers persist already");
    }
  }
  auto poolNew = reinterpret_cast<ggml_threadpool_t (*)(ggml_threadpool_params*)>(b->procFn(b->cpuReg, "ggml_threadpool_new"));
  b->poolFreeFn = reinterpret_cast<void (*)(ggml_threadpool_t)>(b->procFn(b->cpuReg, "ggml_threadpool_free"));
  if (!poolNew || !b->poolFreeFn) return Napi::String::New(env, "the CPU backend has no thread pool functions");
  ggml_threadpool_params params = b->paramsDefaultFn(threads);
  params.poll = static_cast<uint32_t>(poll);
  ggml_threadpool_t pool = poolNew(&params);
  if (!pool) return Napi::String::New(env, "ggml could not start the thread pool");
  b->attachFn(b->context->ctx, pool, pool);
  b->pool = pool;
  return env.Undefined();
}

// decode(binding) -> Promise<void>: llama_decode of the context's batch on the context's own thread
Napi::Value Decode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Binding* b = bindingOf(info);
  if (!b) return env.Undefined();
  auto* d = new Napi::Promise::Deferred(env);
  Napi::Promise promise = d->Promise();
  if (b->deferred || b->context->disposed || b->context->ctx == nullptr) {
    d->Reject(Napi::Error::New(env, b->deferred ? "a decode of this context is running already" : "Context is disposed").Value());
    delete d;
    return promise;
  }
  b->deferred = d;
  b->done.Ref(env);
  {
    std::lock_guard<std::mutex> lock(b->mutex);
    b->pending = true;
  }
  b->wake.notify_one();
  return promise;
}

// close(binding): stops the decode thread and frees the pool; call once the native context is freed
Napi::Value Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal()) {
    Napi::TypeError::New(env, "close(binding)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Binding* b = info[0].As<Napi::External<Binding>>().Data();
  if (b->closed) return env.Undefined();
  if (b->deferred) {
    Napi::Error::New(env, "a decode of this context is still running").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  b->closed = true;
  {
    std::lock_guard<std::mutex> lock(b->mutex);
    b->stopping = true;
  }
  b->wake.notify_one();
  b->thread.join();
  b->done.Release();
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
  exports.Set("close", Napi::Function::New(env, Close));
  return exports;
}

}  // namespace

NODE_API_MODULE(hearth_llama_threads, Init)
