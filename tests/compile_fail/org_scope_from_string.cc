// Must NOT compile: an OrgScope cannot be built from a string taken from anywhere (a request
// path, a header); only ScopeGrant and TenantStore::enter make one.
#include <gatehouse/tenancy/scope.h>

int main() {
  gatehouse::tenancy::OrgScope scope("org_x");
  return static_cast<int>(scope.orgId().size());
}
