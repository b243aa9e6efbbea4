job "geo-api-server" {
  datacenters = ["dc1"]

  group "api-server" {
    count = 6

    # Add an update stanza to enable rolling updates of the service
    update {
      max_parallel      = 2
      min_healthy_time  = "30s"
      healthy_deadline  = "10m"
      progress_deadline = "0s"
      auto_revert = true
    }

    task "server" {
      driver = "docker"
      config {
        image = "geo-api-server:0.33"
      }
    }
  }
}
