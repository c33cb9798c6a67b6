# mercure-coordinator.policy.hcl - the ACL policy of the coordinator's token: register (submit-job)
# and dispatch its parameterized jobs, read and list them and their allocations, read logs; read and
# write the variables under mercure/ (write covers the leader lock's acquire, renew and release). The
# worker and module jobs mount the shared storage read-write.
#   nomad acl policy apply -description "mercure coordinator" mercure-coordinator nomad/mercure-coordinator.policy.hcl
#   nomad acl token create -name mercure-coordinator -policy mercure-coordinator -type client
#   nomad var put nomad/jobs/mercure-coordinator token=<SecretID>

namespace "default" {
  capabilities = ["submit-job", "dispatch-job", "read-job", "list-jobs", "read-logs"]

  variables {
    path "mercure/*" {
      capabilities = ["read", "write"]
    }
  }
}

host_volume "mercure-storage" {
  policy = "write"
}
