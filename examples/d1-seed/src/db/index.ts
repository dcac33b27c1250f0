/** The app's data layer, shared by the worker and the scripts (imported as "@/db"). */
export interface Note {
  id: number;
  title: string;
  created_at: string;
}

// The schema lives in migrations/ (applied by the seed script before it inserts).

/** Inserts notes in one batch. */
export async function insertNotes(db: D1Database, titles: string[]): Promise<void> {
  const now = new Date().toISOString();
  const insert = db.prepare("INSERT INTO notes (title, created_at) VALUES (?, ?)");
  await db.batch(titles.map((title) => insert.bind(title, now)));
}

/** All notes, oldest first. */
export async function listNotes(db: D1Database): Promise<Note[]> {
  const { results } = await db.prepare("SELECT id, title, created_at FROM notes ORDER BY id").all<Note>();
  return results;
}
