# A job with a service, its check and a restart policy; inplace-v2.nomad
# changes only what Nomad updates in place (a tag, restart attempts,
# shutdown_delay), inplace-v3.nomad an argument of the task's config.
job "shop" {
  datacenters = ["dc1"]

  group "cache" {
    count = 2

    network {
      port "db" {
        to = 6379
      }
    }

    restart {
      attempts = 2
      interval = "30m"
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
        args  = ["--appendonly", "yes"]
      }
      shutdown_delay = "5s"
    }
  }
}
