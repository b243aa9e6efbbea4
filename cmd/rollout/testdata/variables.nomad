# A job of variables, as Nomad's demo jobs write them: -var image=... sets
# one; an undeclared -var is refused.
variable "image" {
  type    = string
  default = "shop:1.0"
}

variable "count" {
  default = 2
}

job "shop" {
  group "web" {
    count = var.count
    update {
      max_parallel = 1
      canary       = 1
    }
    task "server" {
      driver = "docker"
      config {
        image = var.image
      }
    }
  }
}
