"""For whom the scaler assumes a trigger's `awsRoleArn`: one `identities.RoleSession` per role and namespace.

The session is named for the namespace; the tenant policy's `roles` entry for the role says whether it also
carries an external id (by default `<cluster>/<namespace>`) and session tags (the cluster and the namespace),
so that the role's trust policy can admit exactly one namespace of one cluster, with AWS checking it. The
namespace is the one KEDA names in each call. Everything is checked against STS's rules at start, so that a
policy or cluster name STS would refuse stops the scaler instead of failing reads.
"""

from __future__ import annotations

from kedawatch import tenancy
from kedawatch.aws import identities, names, roles

__all__ = ["ClusterNameError", "RoleSessions"]

_NAMESPACES = ("n", "n" * 63)
"""The shortest and the longest namespace names (DNS labels: 1 to 63 of `a-z0-9-`, all valid in an external id)."""


class ClusterNameError(ValueError):
    """The cluster name (`--cluster-name`) cannot be sent to STS."""


class RoleSessions:
    def __init__(self, policy: tenancy.TenantPolicy, cluster: str) -> None:
        if reason := names.cluster_name_problem(cluster):
            raise ClusterNameError(f"--cluster-name {cluster!r} {reason}")
        for _, rule in policy.roles:
            for namespace in _NAMESPACES:
                external_id = rule.external_id_for(cluster, namespace)
                if external_id is not None and (reason := names.external_id_problem(external_id)):
                    where = f"tenant policy: {rule.name}: externalId {rule.external_id!r}"
                    raise tenancy.PolicyError(f"{where} {reason}, for every namespace name (1 to 63 characters)")
        self._policy = policy
        self._cluster = cluster

    def session(self, role_arn: str, namespace: str) -> identities.RoleSession:
        """How `role_arn` is assumed for `namespace`'s triggers."""
        rule = self._policy.role_rule(role_arn)
        external_id = rule.external_id_for(self._cluster, namespace)
        return roles.session(self._cluster, namespace, external_id, rule.session_tags)
