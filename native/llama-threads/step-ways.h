// How the token loop (token-loop.cc) hands a step of several streams' next tokens to llama.cpp: as one
// batch, or as one decode per stream. One batch is the rule on GPUs and on many CPUs; but on some CPUs
// ggml's matrix kernels for a few columns cost more than as many one-column passes (an AMD EPYC: a
// step of two tokens 2.7 times a step of one, in llama-batched-bench too; docs/benchmarks.md). So each
// stream count is timed both ways, and the faster way is kept; the other is tried again now and then,
// as contexts grow and the machine's load changes. A count above two is tried split where one stream
// fewer measured faster split, or where its joined steps cost more than as many one-stream steps
// (so three or four streams that start together need not wait for two to be settled first); a GPU
// tries splitting two streams a few times and never more.
#pragma once

#include <algorithm>
#include <array>
#include <mutex>
#include <vector>

class StepWays {
 public:
  // what was measured for a stream count, for JavaScript (steps() in token-loop.cc)
  struct Measured {
    int streams;
    double joinedMs;
    int joinedSteps;
    double splitMs;
    int splitSteps;
    bool split;
  };

  // on the loop's thread: whether the next step of `k` streams' tokens goes as one decode per stream
  bool split(size_t k) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (k < 2 || k >= kMaxStreams) return false;
    Ways& w = ways_[k];
    if (w.n[1] == 0 && !worthTrying(k)) return false;
    // the first trials: the way with fewer of them, each way kTrials times
    if (!decided(k)) return std::min(w.n[1], kTrials) < std::min(w.n[0], kTrials);
    if (++w.sinceCheck >= kRecheck) {
      w.sinceCheck = 0;
      return !splitFaster(k);  // the other way, once
    }
    return splitFaster(k);
  }

  // on the loop's thread: the decode time of a step of `k` streams' tokens taken that way (one
  // stream's steps too: what a split step of k costs is about k of them)
  void record(size_t k, bool split, double ms) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (k < 1 || k >= kMaxStreams) return;
    Ways& w = ways_[k];
    const int way = split ? 1 : 0;
    // recent steps weigh most: the cost moves as the sequences' contexts grow
    w.ms[way] = w.n[way] == 0 ? ms : 0.75 * w.ms[way] + 0.25 * ms;
    w.n[way]++;
  }

  std::vector<Measured> measured() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Measured> out;
    for (size_t k = 2; k < kMaxStreams; k++) {
      const Ways& w = ways_[k];
      if (w.n[0] + w.n[1] == 0) continue;
      out.push_back(Measured{static_cast<int>(k), w.ms[0], w.n[0], w.ms[1], w.n[1], decided(k) && splitFaster(k)});
    }
    return out;
  }

 private:
  static constexpr size_t kMaxStreams = 64;
  static constexpr int kTrials = 3;
  static constexpr int kRecheck = 64;
  struct Ways {
    double ms[2] = {0, 0};  // joined, split
    int n[2] = {0, 0};
    int sinceCheck = 0;
  };
  bool decided(size_t k) const { return ways_[k].n[0] >= kTrials && ways_[k].n[1] >= kTrials; }
  bool splitFaster(size_t k) const { return ways_[k].ms[1] < ways_[k].ms[0]; }
  bool worthTrying(size_t k) const {
    if (k == 2 || (decided(k - 1) && splitFaster(k - 1))) return true;
    const Ways& one = ways_[1];
    const Ways& joined = ways_[k];
    return one.n[0] >= kTrials && joined.n[0] >= kTrials && static_cast<double>(k) * one.ms[0] < joined.ms[0];
  }
  std::mutex mutex_;
  std::array<Ways, kMaxStreams> ways_{};
};
