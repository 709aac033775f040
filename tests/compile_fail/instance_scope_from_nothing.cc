// Must NOT compile: instance-wide authority cannot be conjured by value-initialisation either.
#include <gatehouse/tenancy/tenant_store.h>

void listEveryOrganization(gatehouse::tenancy::TenantStore& store) {
  auto orgs = store.listOrganizations({});
  (void)orgs;
}

int main() {
  return 0;
}
