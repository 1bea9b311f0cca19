// Anomaly detection: while a DetectAnomalyGuard lives, every op remembers where it was
// created (a stack trace), and a backward that produces nan or inf throws GraphError naming
// the op and that place. Slow; for debugging only. For readable function names in the
// trace, link the executable with -rdynamic.
#pragma once

namespace xg {

class DetectAnomalyGuard {
 public:
  DetectAnomalyGuard();
  ~DetectAnomalyGuard();
  DetectAnomalyGuard(const DetectAnomalyGuard&) = delete;
  DetectAnomalyGuard& operator=(const DetectAnomalyGuard&) = delete;

 private:
  bool previous_;
};

bool is_anomaly_enabled();

}  // namespace xg
