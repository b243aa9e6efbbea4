job "docs" {
  datacenters = ["dc1"]

  group "api-server" {
    count = 3

    # Blue/green: as many canaries as the group's count.
    update {
      canary       = 3
      max_parallel = 3
    }

    task "api-server" {
      driver = "docker"
      config {
        image = "api-server:0.1"
      }
    }
  }
}
