# mercure-receiver.nomad.hcl - the DICOM endpoint: one receiver on every ingress node (a system job
# constrained to node meta dicom_ingress = "true"), bound to 0.0.0.0:11112 so that it also answers
# on the virtual IP that keepalived (nomad/mercure-vip.nomad.hcl) moves between the ingress nodes.
# Nomad service "mercure-receiver" with a TCP check, for operators and monitoring; senders use the
# VIP. mercure.yaml (/etc/mercure on every node, outside the shared storage: it holds targets'
# secrets) must say port: 11112 and receiver.bind: 0.0.0.0. raw_exec: the receiver writes
# to the shared storage by its host path (the group volume only places it on nodes that have it).
#   nomad job run nomad/mercure-receiver.nomad.hcl

variable "datacenters" {
  type    = list(string)
  default = ["dc1"]
}
variable "receiver_path" {
  type    = string
  default = "/usr/local/bin/mercure-receiver"
}
variable "config_file" {
  type    = string
  default = "/etc/mercure/mercure.yaml"
}

job "mercure-receiver" {
  type        = "system"
  datacenters = var.datacenters

  constraint {
    attribute = "${meta.dicom_ingress}"
    value     = "true"
  }

  group "receiver" {
    network {
      port "dicom" {
        static = 11112
      }
    }

    service {
      name     = "mercure-receiver"
      port     = "dicom"
      provider = "nomad"

      check {
        type     = "tcp"
        interval = "10s"
        timeout  = "2s"
      }
    }

    volume "storage" {
      type      = "host"
      source    = "mercure-storage"
      read_only = false
    }

    task "receiver" {
      driver = "raw_exec"

      config {
        command = var.receiver_path
        args    = ["--config", var.config_file]
      }

      resources {
        cpu    = 1000
        memory = 512
      }

      # SIGTERM: stop accepting, finish the associations in progress
      kill_timeout = "60s"
    }
  }
}
