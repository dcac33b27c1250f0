import { applyEdits, modify, parse, type ParseError } from "jsonc-parser";
import type { ListedScript } from "../common/script-folders.js";
import { editorInputs, editorTasks, tasksFile } from "./editor-tasks.js";

/** What merging worker-run's tasks into `.vscode/tasks.json` came to. */
export type TasksEdit = { kind: "written"; text: string; added: string[] } | { kind: "unchanged" } | { kind: "cannot-edit"; reason: string };

/**
 * worker-run's tasks for the project's scripts, merged into an existing `.vscode/tasks.json`
 * (JSON with comments) through jsonc-parser's edits, which leave its comments, its formatting
 * and its other tasks as they are; a task whose label is there already is left alone. With no
 * file, the whole file.
 */
export function mergeTasks(existing: string | undefined, root: string, scripts: readonly ListedScript[]): TasksEdit {
  const tasks = editorTasks(root, scripts);
  if (existing === undefined) return { kind: "written", text: tasksFile(root, scripts), added: tasks.map((task) => task.label) };
  const errors: ParseError[] = [];
  const parsed = parse(existing, errors, { allowTrailingComma: true }) as { tasks?: unknown; inputs?: unknown } | undefined;
  if (errors.length || typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { kind: "cannot-edit", reason: "it is not a JSON object (with comments)" };
  }
  if (parsed.tasks !== undefined && !Array.isArray(parsed.tasks)) return { kind: "cannot-edit", reason: "its tasks are not an array" };
  if (parsed.inputs !== undefined && !Array.isArray(parsed.inputs)) return { kind: "cannot-edit", reason: "its inputs are not an array" };
  const labels = new Set(((parsed.tasks ?? []) as { label?: unknown }[]).map((task) => task?.label));
  const missing = tasks.filter((task) => !labels.has(task.label));
  const inputIds = new Set(((parsed.inputs ?? []) as { id?: unknown }[]).map((input) => input?.id));
  const missingInputs = editorInputs(root, scripts).filter((input) => !inputIds.has(input.id));
  if (!missing.length && !missingInputs.length) return { kind: "unchanged" };
  const formattingOptions = { insertSpaces: !/^\t/m.test(existing), tabSize: 2, eol: existing.includes("\r\n") ? "\r\n" : "\n" };
  let text = existing;
  if (parsed.tasks === undefined) text = applyEdits(text, modify(text, ["tasks"], [], { formattingOptions }));
  for (const task of missing) text = applyEdits(text, modify(text, ["tasks", -1], task, { formattingOptions, isArrayInsertion: true }));
  if (missingInputs.length && parsed.inputs === undefined) text = applyEdits(text, modify(text, ["inputs"], [], { formattingOptions }));
  for (const input of missingInputs) text = applyEdits(text, modify(text, ["inputs", -1], input, { formattingOptions, isArrayInsertion: true }));
  return { kind: "written", text, added: [...missing.map((task) => task.label), ...missingInputs.map((input) => `input ${input.id}`)] };
}
