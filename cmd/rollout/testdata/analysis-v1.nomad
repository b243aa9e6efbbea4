# A canary judged on its metrics: one canary, whose error rate is measured
# every 30s, twice; it is promoted once both measurements pass, and a
# failure fails the deployment and reverts to the last stable version.
# `rollout simulate -analysis v1=fail` scripts the verdicts.
job "shop" {
  update {
    max_parallel = 1
    canary       = 1
    auto_promote = true
    auto_revert  = true

    analysis {
      interval     = "30s"
      measurements = 2

      check "error-rate" {
        provider  = "prometheus"
        query     = "sum(rate(http_errors_total{version=\"{{.Version}}\"}[1m]))"
        threshold = "< 0.01"
      }
    }
  }

  group "web" {
    count = 3

    task "server" {
      driver = "docker"
      config {
        image = "shop:1.1"
      }
    }
  }
}
