# inplace-v3.nomad with a reschedule block that allows one attempt an
# hour: a failing version without an update block is rescheduled once,
# then left failed.
job "shop" {
  datacenters = ["dc1"]

  group "cache" {
    count = 2

    reschedule {
      attempts  = 1
      interval  = "1h"
      unlimited = false
    }

    network {
      port "db" {
        to = 6379
      }
    }

    service {
      name = "redis"
      port = "db"
      tags = ["cache", "v1"]

      check {
        type     = "tcp"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "redis" {
      driver = "docker"
      config {
        image = "redis:7"
        args  = ["--appendonly", "no"]
      }
    }
  }
}
