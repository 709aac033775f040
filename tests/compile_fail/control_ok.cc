// MUST compile with the same command as the compile-fail tests: proves that the command works,
// so a compile-fail test cannot pass merely because the command is broken.
#include <gatehouse/tenancy/scope.h>
#include <gatehouse/tenancy/tenant_store.h>

#include <string>

void listWithScope(gatehouse::tenancy::TenantStore& store) {
  const gatehouse::tenancy::OrgScope scope =
      gatehouse::tenancy::ScopeGrant::authenticatedOrg(std::string("org_x"));
  auto projects = store.listProjects(scope);
  auto project = store.project(scope, "prj_1");
  const gatehouse::tenancy::InstanceScope instance = gatehouse::tenancy::ScopeGrant::instance();
  auto orgs = store.listOrganizations(instance);
  (void)projects;
  (void)project;
  (void)orgs;
}

int main() {
  return 0;
}
