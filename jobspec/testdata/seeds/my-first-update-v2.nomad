job "update-demo-webapp" {
  datacenters = ["dc1"]
  update {
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
        image = "hashicorp/demo-webapp:v2"
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
