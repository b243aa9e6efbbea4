# web-v1.nomad with the task env and the ephemeral disk changed: destructive.
job "web" {
  datacenters = ["dc1", "dc2"]

  meta {
    team = "shop"
  }

  group "frontend" {
    count = 3

    update {
      max_parallel = 1
      canary       = 1
    }

    ephemeral_disk {
      size = 500
    }

    meta {
      tier = "front"
    }

    network {
      port "http" {
        to = 8080
      }
    }

    service {
      name        = "frontend"
      port        = "http"
      tags        = ["web", "v1", "public"]
      canary_tags = ["canary"]

      check {
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
      }
    }

    task "server" {
      driver = "docker"

      config {
        image = "example/web:1.0"
        ports = ["http"]
      }

      env {
        LOG_LEVEL = "debug"
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }
  }
}
