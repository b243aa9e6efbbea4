# cache-v1.nomad without its cache group: `rollout plan` lists the group's
# allocations as destroyed.
job "shop" {
  group "web" {
    count = 2
    update {
      max_parallel = 1
    }
    task "server" {
      driver = "docker"
      config {
        image = "shop:1.0"
      }
    }
  }
}
