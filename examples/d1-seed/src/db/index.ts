/** The app's data layer, shared by the worker and the scripts (imported as "@/db"). */
export interface Note {
  id: number;
  title: string;
  created_at: string;
}

/** Creates the table if it does not exist yet. */
export async function ensureSchema(db: D1Database): Promise<void> {
  await db.exec(
    "CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, created_at TEXT NOT NULL)",
  );
}

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
