// Must NOT compile: a tenant query cannot be called with no scope at all.
#include <gatehouse/tenancy/tenant_store.h>

void listWithoutScope(gatehouse::tenancy::TenantStore& store) {
  auto projects = store.listProjects();
  (void)projects;
}

int main() {
  return 0;
}
