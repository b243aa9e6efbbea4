# A job with another ID than cache-v1.nomad's: a plan of the two is refused.
job "other" {
  group "web" {
    task "server" {
      driver = "docker"
      config {
        image = "shop:1.0"
      }
    }
  }
}
