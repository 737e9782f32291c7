// hearth's persistent thread pool for node-llama-cpp's prebuilt llama.cpp (src/backends/llama/threadPool.ts).
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
#include <dlfcn.h>

#include <cstring>
#include <string>

#include "AddonContext.h"
#include "AddonModel.h"
#include "ggml-backend.h"
#include "ggml-cpu.h"

#ifndef HEARTH_NLC_VERSION
#error "HEARTH_NLC_VERSION (node-llama-cpp's version) must be defined"
#endif

namespace {

struct Pool {
  ggml_threadpool_t pool = nullptr;
  void (*free_fn)(ggml_threadpool_t) = nullptr;
};

template <class F>
F symbol(void* lib, const char* name) {
  return lib ? reinterpret_cast<F>(dlsym(lib, name)) : nullptr;
}

void* loaded(const std::string& file) { return dlopen(file.c_str(), RTLD_LAZY | RTLD_NOLOAD); }

Napi::Value refuse(Napi::Env env, const std::string& why) {
  Napi::Object r = Napi::Object::New(env);
  r.Set("reason", why);
  return r;
}

// attach(context._ctx, model._model, { llama, ggml, ggmlBase }, threads, poll, contextSize)
//   -> { pool: External } | { reason: string }
Napi::Value Attach(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 6 || !info[0].IsObject() || !info[1].IsObject() || !info[2].IsObject() || !info[3].IsNumber() ||
      !info[4].IsNumber() || !info[5].IsNumber()) {
    Napi::TypeError::New(env, "attach(context, model, libraries, threads, poll, contextSize)").ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Napi::Object libs = info[2].As<Napi::Object>();
  const int threads = info[3].As<Napi::Number>().Int32Value();
  const int poll = info[4].As<Napi::Number>().Int32Value();
  const uint32_t contextSize = info[5].As<Napi::Number>().Uint32Value();
  if (threads < 1 || threads > GGML_MAX_N_THREADS || poll < 0 || poll > 100) return refuse(env, "threads or poll out of range");

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
  auto get_model = symbol<const llama_model* (*)(const llama_context*)>(llama, "llama_get_model");
  auto n_ctx = symbol<uint32_t (*)(const llama_context*)>(llama, "llama_n_ctx");
  auto attach = symbol<void (*)(llama_context*, ggml_threadpool_t, ggml_threadpool_t)>(llama, "llama_attach_threadpool");
  auto dev_by_type = symbol<ggml_backend_dev_t (*)(enum ggml_backend_dev_type)>(ggml, "ggml_backend_dev_by_type");
  auto dev_reg = symbol<ggml_backend_reg_t (*)(ggml_backend_dev_t)>(ggmlBase, "ggml_backend_dev_backend_reg");
  auto proc = symbol<void* (*)(ggml_backend_reg_t, const char*)>(ggmlBase, "ggml_backend_reg_get_proc_address");
  auto params_default = symbol<ggml_threadpool_params (*)(int)>(ggmlBase, "ggml_threadpool_params_default");
  if (!get_model || !n_ctx || !attach || !dev_by_type || !dev_reg || !proc || !params_default)
    return refuse(env, "llama.cpp's libraries lack the thread pool functions");
  if (get_model(context->ctx) != model->model || n_ctx(context->ctx) != contextSize)
    return refuse(env, "llama.cpp does not recognise the context read (node-llama-cpp's layout differs)");

  ggml_backend_dev_t cpu = dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU);
  if (!cpu) return refuse(env, "no CPU backend is loaded");
  ggml_backend_reg_t reg = dev_reg(cpu);
  // a CPU library built with OpenMP keeps its workers already and ignores a pool's threads
  auto features = reinterpret_cast<ggml_backend_feature* (*)(ggml_backend_reg_t)>(proc(reg, "ggml_backend_get_features"));
  if (features) {
    for (ggml_backend_feature* f = features(reg); f && f->name; f++) {
      if (std::strcmp(f->name, "OPENMP") == 0) return refuse(env, "the CPU library uses OpenMP, whose workers persist already");
    }
  }
  auto pool_new = reinterpret_cast<ggml_threadpool_t (*)(ggml_threadpool_params*)>(proc(reg, "ggml_threadpool_new"));
  auto pool_free = reinterpret_cast<void (*)(ggml_threadpool_t)>(proc(reg, "ggml_threadpool_free"));
  if (!pool_new || !pool_free) return refuse(env, "the CPU backend has no thread pool functions");

  ggml_threadpool_params params = params_default(threads);
  params.poll = static_cast<uint32_t>(poll);
  ggml_threadpool_t pool = pool_new(&params);
  if (!pool) return refuse(env, "ggml could not start the thread pool");
  attach(context->ctx, pool, pool);

  auto* handle = new Pool{pool, pool_free};
  Napi::Object r = Napi::Object::New(env);
  r.Set("pool", Napi::External<Pool>::New(env, handle));
  return r;
}

// free(pool): only once the context it was attached to is freed (llama_free does not free it)
Napi::Value Free(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsExternal()) {
    Napi::TypeError::New(info.Env(), "free(pool)").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  Pool* handle = info[0].As<Napi::External<Pool>>().Data();
  if (handle->pool) {
    handle->free_fn(handle->pool);
    handle->pool = nullptr;
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("nodeLlamaCppVersion", Napi::String::New(env, HEARTH_NLC_VERSION));
  exports.Set("attach", Napi::Function::New(env, Attach));
  exports.Set("free", Napi::Function::New(env, Free));
  return exports;
}

}  // namespace

NODE_API_MODULE(hearth_llama_threads, Init)
