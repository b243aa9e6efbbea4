# A job of two groups; its next version (cache-v2.nomad) drops the cache.
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

  group "cache" {
    count = 3
    task "redis" {
      driver = "docker"
      config {
        image = "redis:7"
      }
    }
  }
}
