# Canary analysis: the job's analysis block judges the api group's canaries;
# the web group writes its own, which replaces the job's whole.
job "shop" {
  update {
    max_parallel = 1
    canary       = 1
    auto_promote = true
    auto_revert  = true

    analysis {
      interval        = "30s"
      measurements    = 3
      failure_limit   = 0
      on_inconclusive = "retry"

      check "error-rate" {
        provider  = "prometheus"
        query     = "sum(rate(http_errors_total{job=\"{{.Job}}\",version=\"{{.Version}}\"}[1m]))"
        threshold = "< 0.01"
        baseline  = true
      }
    }
  }

  group "api" {
    count = 3
    task "server" {
      driver = "docker"
      config { image = "shop-api:2" }
    }
  }

  group "web" {
    count = 2
    update {
      analysis {
        measurements = 5
        check "latency" {
          provider  = "webhook"
          query     = "https://judge.internal/latency"
        }
        check "saturation" {
          provider  = "prometheus"
          query     = "max(cpu{version=\"{{.Version}}\"})"
          threshold = "<= 0.8"
        }
      }
    }
    task "server" {
      driver = "docker"
      config { image = "shop-web:2" }
    }
  }
}
