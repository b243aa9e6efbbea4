job "update-demo-webapp" {
  datacenters = ["dc1"]

  update {
    max_parallel = 1
    health_check  = "task_states"
    min_healthy_time = "5s"
    healthy_deadline = "1m"
    progress_deadline = "2m"
    canary = 3
  }

  group "update-demo-webapp" {
    count = 10
    task "server" {

      env {
        PORT    = "${NOMAD_PORT_http}"
        NODE_IP = "${NOMAD_IP_http}"
      }

      driver = "docker"
      config {
        image = "dummy/dummy:v99.9"
      }

      resources {
        cpu = 100
        memory = 32

        network {
          mbits = 10
          port "http" {}
        }
      }
    }
  }
}
