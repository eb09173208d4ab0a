import type { Customer, Package } from './schema.js';

/**
 * Customers and their packages as the other parts read them (InventoryService is the one
 * implementation); a part that needs less takes a `Pick` of it.
 */
export interface CustomerDirectory {
  getCustomer(id: string): Promise<Customer | undefined>;
  getPackage(id: string): Promise<Package | undefined>;
}
