# mercure-vip.nomad.hcl - the floating address senders are given: keepalived (VRRP) on every
# ingress node, as a system job beside the receiver. The node that holds the VIP is one whose
# receiver answers on 127.0.0.1:11112 (track_script), so the VIP moves when a receiver or its node
# dies. Needs root (raw_exec) and VRRP (IP protocol 112) allowed between the ingress nodes. Check
# the flags against the keepalived you ship; a systemd unit with the same keepalived.conf works too.
#   nomad job run -var vip=10.0.0.50/24 -var interface=eth0 nomad/mercure-vip.nomad.hcl

variable "datacenters" {
  type    = list(string)
  default = ["dc1"]
}
variable "vip" {
  type    = string
  default = "10.0.0.50/24"
}
variable "interface" {
  type    = string
  default = "eth0"
}
variable "router_id" {
  type    = string
  default = "51"
}

job "mercure-vip" {
  type        = "system"
  datacenters = var.datacenters

  constraint {
    attribute = "${meta.dicom_ingress}"
    value     = "true"
  }

  group "vip" {
    task "keepalived" {
      driver = "raw_exec"

      config {
        command = "/usr/sbin/keepalived"
        args    = ["--dont-fork", "--log-console", "--vrrp", "-f", "${NOMAD_TASK_DIR}/keepalived.conf"]
      }

      template {
        destination = "local/keepalived.conf"
        data        = <<EOT
vrrp_script chk_receiver {
  script "/usr/bin/nc -z 127.0.0.1 11112"
  interval 2
  fall 2
  rise 2
}

vrrp_instance MERCURE {
  state BACKUP
  interface ${var.interface}
  virtual_router_id ${var.router_id}
  priority 100
  advert_int 1
  virtual_ipaddress {
    ${var.vip}
  }
  track_script {
    chk_receiver
  }
}
EOT
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
