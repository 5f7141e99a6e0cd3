/** A numbered, forward-only schema change of the replica. */
export interface Migration {
  /** 1, 2, 3 … with no gaps; the order they are applied in */
  id: number;
  /** kebab-case, matches the file name after the number */
  name: string;
  /** one or more SQL statements, run inside one transaction */
  sql: string;
}
