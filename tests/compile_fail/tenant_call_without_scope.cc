// Must NOT compile: a tenant query needs the OrgScope it acts in; an organisation id as a
// string is not one.
#include <gatehouse/tenancy/tenant_store.h>

#include <string>

void listWithoutScope(gatehouse::tenancy::TenantStore& store) {
  const std::string org_id = "org_x";
  auto projects = store.listProjects(org_id);
  (void)projects;
}

int main() {
  return 0;
}
