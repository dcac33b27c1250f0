/**
 * Splits a migration into the statements `wrangler d1 migrations apply --local` sends in one
 * `batch`, the same way, so a file that wrangler applies applies here, statement for statement.
 * Wrangler drops one `BEGIN TRANSACTION;` and one `COMMIT;` (D1's batch is the transaction),
 * then ends a statement at each `;` that SQLite would call complete (`sqlite3_complete`): not
 * inside a string, a quoted name, a comment, or the body of a `CREATE TRIGGER … END`.
 */

/** The statements of `sql`, without their final `;`. Throws on a file of several transactions. */
export function splitSqlStatements(sql: string): string[] {
  const trimmed = withoutTransaction(sql);
  if (!hasInnerSemicolon(trimmed)) return [trimmed];
  const statements: string[] = [];
  let start = 0;
  while (start < trimmed.length) {
    const { end, useful } = statementEnd(trimmed, start);
    // The rest holds no complete statement: wrangler sends it as it is, if it has any SQL.
    const statement = (end === undefined ? trimmed.slice(start) : trimmed.slice(start, end - 1)).trim();
    if (useful && statement !== "") statements.push(statement);
    if (end === undefined) break;
    start = end;
  }
  return statements.length ? statements : [trimmed];
}

function withoutTransaction(sql: string): string {
  if (!sql.includes("BEGIN TRANSACTION")) return sql;
  const trimmed = sql.replace("BEGIN TRANSACTION;", "").replace("COMMIT;", "");
  if (trimmed.includes("BEGIN TRANSACTION")) {
    throw new Error(
      "The migration contains several transactions, which D1 cannot run: D1 runs each migration in a transaction of its own, so remove BEGIN TRANSACTION and COMMIT.",
    );
  }
  return trimmed;
}

/** Whether a `;` stands anywhere but at the very end (one statement is sent whole). */
function hasInnerSemicolon(sql: string): boolean {
  const text = sql.trimEnd();
  const index = text.indexOf(";");
  return index !== -1 && index !== text.length - 1;
}

type Token = "semi" | "space" | "other" | "explain" | "create" | "temp" | "trigger" | "end";
type State = "invalid" | "normal" | "explain" | "create" | "trigger" | "semi" | "end" | "complete";

/**
 * `sqlite3_complete`'s automaton. Only a `CREATE [TEMP] TRIGGER` changes what a `;` means: in its
 * body a statement is complete only at `; END ;`. `EXPLAIN` may come before the `CREATE`.
 */
function next(state: State, token: Token): State {
  if (token === "semi") return state === "trigger" || state === "semi" ? "semi" : "complete";
  switch (state) {
    case "invalid":
    case "complete":
      return token === "space" ? state : token === "explain" ? "explain" : token === "create" ? "create" : "normal";
    case "explain":
      return token === "space" || token === "other" ? "explain" : token === "create" ? "create" : "normal";
    case "create":
      return token === "space" || token === "temp" ? "create" : token === "trigger" ? "trigger" : "normal";
    case "trigger":
      return "trigger";
    case "semi":
      return token === "space" ? "semi" : token === "end" ? "end" : "trigger";
    case "end":
      return token === "space" ? "end" : "trigger";
    case "normal":
      return "normal";
  }
}

const KEYWORDS: Record<string, Token> = { explain: "explain", create: "create", temp: "temp", temporary: "temp", trigger: "trigger", end: "end" };
const SPACE_RE = /[ \t\n\r\f]/;
const WORD_RE = /[A-Za-z0-9_$\u0080-\uffff]/;

/**
 * Where the statement that starts at `start` ends (just past its `;`), or undefined when the
 * text runs out first; `useful`: whether it holds anything but spaces, comments and `;`.
 */
function statementEnd(sql: string, start: number): { end: number | undefined; useful: boolean } {
  let state: State = "invalid";
  let useful = false;
  for (let index = start; index < sql.length; index++) {
    const char = sql[index]!;
    let token: Token;
    if (char === ";") {
      token = "semi";
    } else if (SPACE_RE.test(char)) {
      token = "space";
    } else if ((char === "/" && sql[index + 1] === "*") || (char === "-" && sql[index + 1] === "-")) {
      // A comment counts as a space; one that never closes ends the text.
      const close = char === "/" ? sql.indexOf("*/", index + 2) : sql.indexOf("\n", index + 2);
      if (close === -1) return { end: undefined, useful };
      index = char === "/" ? close + 1 : close;
      token = "space";
    } else if (char === "[" || char === "'" || char === '"' || char === "`") {
      // A quoted name or string is one word, whatever it holds ('' inside is two words in a row).
      const close = sql.indexOf(char === "[" ? "]" : char, index + 1);
      if (close === -1) return { end: undefined, useful: true };
      index = close;
      token = "other";
    } else if (WORD_RE.test(char)) {
      const first = index;
      while (index + 1 < sql.length && WORD_RE.test(sql[index + 1]!)) index++;
      token = KEYWORDS[sql.slice(first, index + 1).toLowerCase()] ?? "other";
    } else {
      token = "other";
    }
    if (token !== "semi" && token !== "space") useful = true;
    state = next(state, token);
    if (state === "complete") return { end: index + 1, useful };
  }
  return { end: undefined, useful };
}
