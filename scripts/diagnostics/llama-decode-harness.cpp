// A diagnostic, not part of hearth: llama.cpp's prefill and decode on node-llama-cpp's prebuilt
// libraries, with node-llama-cpp's context parameters (CTX cells, batch and ubatch 512) and a ggml pool
// of 2 attached as hearth's helper attaches it, `llama_decode` called from the calling thread or from a
// std::thread (THREAD=1). It prints pp512 and tg128 tok/s, as llama-bench measures them. SEQRM=1
// decodes as the SDK does (the first cell kept, the rest erased, PPN tokens from position 1; with
// NOKEEP=1 the same explicit batch on a cleared cache from position 0); PPN sets
// the prompt's token count; TEXT=... takes the prompt's tokens from a text; NOPOOL=1 attaches no pool.
// docs/benchmarks.md ("2026-12-04 (day)") has what it showed. Build it beside the prebuilt libraries
// (B = node_modules/@node-llama-cpp/linux-x64/bins/linux-x64, S = .cache/llama.cpp from
// scripts/build-llama-bench.sh) as a program and as a Node addon:
//   mkdir -p /tmp/lbd && ln -sf $PWD/$B/*.so /tmp/lbd/
//   g++ -O2 -std=c++17 -DHARNESS_MAIN -I$S/include -I$S/ggml/include scripts/diagnostics/llama-decode-harness.cpp
//     -o /tmp/lbd/harness -L/tmp/lbd -l:libllama.v0.4.0.so -l:libggml.v0.4.0.so -l:libggml-base.so -Wl,-rpath,/tmp/lbd -pthread
//   g++ -O2 -std=c++17 -shared -fPIC -DNODE_GYP_MODULE_NAME=harness -I/usr/include/node -I$S/include -I$S/ggml/include
//     scripts/diagnostics/llama-decode-harness.cpp -o /tmp/lbd/harness.node -L/tmp/lbd -l:libllama.v0.4.0.so
//     -l:libggml.v0.4.0.so -l:libggml-base.so -Wl,-rpath,/tmp/lbd -pthread
//   /tmp/lbd/harness model.gguf;  node -e 'require("/tmp/lbd/harness.node").run("model.gguf")'
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>
#include <string>
#include "llama.h"
#include "ggml-cpu.h"
#include "ggml-backend.h"
static double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }
static int harness_main(const char* path) {
  int nctx = getenv("CTX") ? atoi(getenv("CTX")) : 1024;
  bool onThread = getenv("THREAD") && atoi(getenv("THREAD"));
  bool usePool = !getenv("NOPOOL");
  ggml_backend_load_all_from_path(getenv("BACKENDS") ? getenv("BACKENDS") : "/tmp/lbd");
  llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
  auto mp = llama_model_default_params();
  llama_model* model = llama_model_load_from_file(path, mp);
  auto cp = llama_context_default_params();
  cp.n_ctx = nctx; cp.n_batch = 512; cp.n_ubatch = 512; cp.n_seq_max = 1; cp.n_threads = 2; cp.n_threads_batch = 2; cp.no_perf = true; cp.swa_full = false;
  llama_context* ctx = llama_init_from_model(model, cp);
  ggml_threadpool_t pool = nullptr;
  if (usePool) {
    auto* reg = ggml_backend_dev_backend_reg(ggml_backend_dev_by_type(GGML_BACKEND_DEVICE_TYPE_CPU));
    auto poolNew = (ggml_threadpool_t(*)(ggml_threadpool_params*))ggml_backend_reg_get_proc_address(reg, "ggml_threadpool_new");
    auto tpp = ggml_threadpool_params_default(2);
    pool = poolNew(&tpp);
    llama_attach_threadpool(ctx, pool, nullptr);
  }
  const llama_vocab* vocab = llama_model_get_vocab(model);
  int nv = llama_vocab_n_tokens(vocab);
  auto work = [&]() {
    std::vector<llama_token> toks(512);
    for (int r = 0; r < 6; r++) {
      for (auto& t : toks) t = 6 + std::rand() % (nv - 6);
      if (getenv("TEXT")) {
        std::string text = getenv("TEXT");
        std::vector<llama_token> tt(4096);
        int n = llama_tokenize(vocab, text.c_str(), text.size(), tt.data(), tt.size(), true, true);
        for (int i = 0; i < 512; i++) toks[i] = tt[(i + r * 7) % n];
      }
      double pp;
      if (getenv("SEQRM")) {
        // as the SDK: the sequence keeps its first cell (BOS), the rest is erased, 511 tokens at 1..511
        // NOKEEP=1: the same explicit batch on a cleared cache, from position 0
        const bool keep = !getenv("NOKEEP");
        if (r == 0 || !keep) llama_memory_clear(llama_get_memory(ctx), false);
        if (r == 0 && keep) { llama_token b = 1; llama_decode(ctx, llama_batch_get_one(&b, 1)); }
        if (keep) llama_memory_seq_rm(llama_get_memory(ctx), 0, 1, -1);
        const int nn = getenv("PPN") ? atoi(getenv("PPN")) : 511;
        llama_batch batch = llama_batch_init(512, 0, 1);
        for (int i = 0; i < nn; i++) { batch.token[i] = toks[i]; batch.pos[i] = i + (keep ? 1 : 0); batch.n_seq_id[i] = 1; batch.seq_id[i][0] = 0; batch.logits[i] = i == nn - 1; }
        batch.n_tokens = nn;
        double t0 = now();
        llama_decode(ctx, batch);
        llama_synchronize(ctx);
        pp = nn / (now() - t0);
        llama_batch_free(batch);
      } else {
        llama_memory_clear(llama_get_memory(ctx), false);
        double t0 = now();
        const int nn = getenv("PPN") ? atoi(getenv("PPN")) : 512;
        llama_decode(ctx, llama_batch_get_one(toks.data(), nn));
        llama_synchronize(ctx);
        pp = nn / (now() - t0);
      }
      // decode 128 tokens one by one
      double tg = 0;
      if (!getenv("SEQRM")) {
        llama_token t = toks[0];
        llama_memory_clear(llama_get_memory(ctx), false);
        double t1 = now();
        for (int i = 0; i < 128; i++) { llama_decode(ctx, llama_batch_get_one(&t, 1)); llama_synchronize(ctx); }
        tg = 128 / (now() - t1);
      }
      printf("%s pp512 %.1f tg128 %.1f\n", r == 0 ? "(warm-up)" : "", pp, tg);
    }
  };
  if (onThread) { std::thread th(work); th.join(); } else work();
  return 0;
}

#ifdef HARNESS_MAIN
int main(int argc, char** argv) { return argc > 1 ? harness_main(argv[1]) : 2; }
#else
#include <node_api.h>
static napi_value Run(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr);
  char path[4096]; size_t len;
  napi_get_value_string_utf8(env, argv[0], path, sizeof path, &len);
  harness_main(path);
  fflush(stdout);
  return nullptr;
}
static napi_value Init(napi_env env, napi_value exports) {
  napi_value fn; napi_create_function(env, "run", NAPI_AUTO_LENGTH, Run, nullptr, &fn);
  napi_set_named_property(env, exports, "run", fn);
  return exports;
}
NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
#endif
