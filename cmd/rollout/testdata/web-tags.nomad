# web-v1.nomad with the datacenters and the service tags changed: in place.
job "web" {
  datacenters = ["dc1", "dc3"]

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
      size = 300
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
      tags        = ["web", "v2", "public", "beta"]
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
        LOG_LEVEL = "info"
      }

      resources {
        cpu    = 200
        memory = 128
      }
    }
  }
}
