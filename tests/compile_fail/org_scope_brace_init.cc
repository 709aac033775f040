// Must NOT compile: no brace-initialisation or implicit conversion into an OrgScope either.
#include <gatehouse/tenancy/tenant_store.h>

#include <string>

void passString(gatehouse::tenancy::TenantStore& store) {
  auto project = store.project({std::string("org_x")}, "prj_1");
  (void)project;
}

int main() {
  return 0;
}
