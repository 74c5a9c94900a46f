import ts from 'typescript';

/**
 * What the table modules (`lib/tables/*.ts`) say about their tables, read from their source with
 * the TypeScript parser: the TSDoc of each exported table-name constant, each column list
 * (`X_COLUMNS = [...] as const satisfies readonly (keyof Row)[]`) with its row interface, and the
 * TSDoc of each field of those interfaces (the column's meaning).
 */
export interface ColumnList {
  /** The constant's name, e.g. `MESSAGE_LOG_COLUMNS`. */
  constant: string;
  file: string;
  columns: string[];
  /** Column → its TSDoc in the row interface named by `satisfies`. */
  meanings: Map<string, string>;
}

export interface TableModules {
  /** Table or view name → the TSDoc of the constant that holds the name. */
  names: Map<string, string>;
  columnLists: ColumnList[];
}

function jsDoc(node: ts.Node): string | undefined {
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc;
  const last = docs?.[docs.length - 1];
  if (last === undefined) return undefined;
  const comment = ts.getTextOfJSDocComment(last.comment);
  return comment === undefined || comment.trim() === ''
    ? undefined
    : comment.replace(/\s*\n\s*/g, ' ').trim();
}

interface Interface {
  extends: string[];
  members: Map<string, string | undefined>;
}

function memberName(member: ts.TypeElement): string | undefined {
  const name = member.name;
  return name !== undefined && (ts.isIdentifier(name) || ts.isStringLiteral(name)) ? name.text : undefined;
}

/** The element names of `[...]` literals, spreads of other arrays of the file resolved. */
function arrayElements(
  node: ts.ArrayLiteralExpression,
  arrays: ReadonlyMap<string, ts.ArrayLiteralExpression>,
  where: string,
): string[] {
  return node.elements.flatMap((element) => {
    if (ts.isStringLiteral(element)) return [element.text];
    if (ts.isSpreadElement(element) && ts.isIdentifier(element.expression)) {
      const spread = arrays.get(element.expression.text);
      if (spread === undefined) throw new Error(`${where}: cannot resolve ...${element.expression.text}`);
      return arrayElements(spread, arrays, where);
    }
    throw new Error(`${where}: cannot read the column list element ${element.getText()}`);
  });
}

/** `[...] as const` with or without `satisfies`, and the type `satisfies` names in `keyof T`. */
function arrayOf(initializer: ts.Expression): { array?: ts.ArrayLiteralExpression; row?: string } {
  let expression = initializer;
  let row: string | undefined;
  if (ts.isSatisfiesExpression(expression)) {
    const keyOf = (type: ts.TypeNode): string | undefined => {
      if (ts.isTypeOperatorNode(type) && type.operator === ts.SyntaxKind.ReadonlyKeyword)
        return keyOf(type.type);
      if (ts.isArrayTypeNode(type)) return keyOf(type.elementType);
      if (ts.isParenthesizedTypeNode(type)) return keyOf(type.type);
      if (
        ts.isTypeOperatorNode(type) &&
        type.operator === ts.SyntaxKind.KeyOfKeyword &&
        ts.isTypeReferenceNode(type.type)
      ) {
        return type.type.typeName.getText();
      }
      return undefined;
    };
    row = keyOf(expression.type);
    expression = expression.expression;
  }
  if (ts.isAsExpression(expression)) expression = expression.expression;
  return ts.isArrayLiteralExpression(expression)
    ? { array: expression, ...(row === undefined ? {} : { row }) }
    : {};
}

/** Reads the table modules from their source texts (file name → text). */
export function readTableModules(files: ReadonlyMap<string, string>): TableModules {
  const names = new Map<string, string>();
  const columnLists: ColumnList[] = [];
  for (const [file, text] of files) {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const interfaces = new Map<string, Interface>();
    const arrays = new Map<string, ts.ArrayLiteralExpression>();
    const lists: { constant: string; array: ts.ArrayLiteralExpression; row: string }[] = [];
    for (const statement of source.statements) {
      if (ts.isInterfaceDeclaration(statement)) {
        interfaces.set(statement.name.text, {
          extends: (statement.heritageClauses ?? []).flatMap((clause) =>
            clause.types.map((t) => t.expression.getText()),
          ),
          members: new Map(
            statement.members.flatMap((member) => {
              const name = memberName(member);
              return name === undefined ? [] : [[name, jsDoc(member)] as const];
            }),
          ),
        });
      }
      if (!ts.isVariableStatement(statement)) continue;
      for (const declaration of statement.declarationList.declarations) {
        if (!ts.isIdentifier(declaration.name) || declaration.initializer === undefined) continue;
        const constant = declaration.name.text;
        const initializer = declaration.initializer;
        if (ts.isStringLiteral(initializer)) {
          const doc = jsDoc(statement);
          if (doc !== undefined && /^[a-z][a-z0-9_]*$/.test(initializer.text))
            names.set(initializer.text, doc);
          continue;
        }
        const { array, row } = arrayOf(initializer);
        if (array === undefined) continue;
        arrays.set(constant, array);
        if (row !== undefined) lists.push({ constant, array, row });
      }
    }
    const meaningsOf = (name: string, seen: Set<string> = new Set()): Map<string, string> => {
      const found = interfaces.get(name);
      if (found === undefined || seen.has(name)) {
        throw new Error(`${file}: the row interface ${name} is not declared in this file`);
      }
      seen.add(name);
      const meanings = new Map<string, string>();
      for (const parent of found.extends) for (const [k, v] of meaningsOf(parent, seen)) meanings.set(k, v);
      for (const [member, doc] of found.members) if (doc !== undefined) meanings.set(member, doc);
      return meanings;
    };
    for (const list of lists) {
      columnLists.push({
        constant: list.constant,
        file,
        columns: arrayElements(list.array, arrays, `${file} ${list.constant}`),
        meanings: meaningsOf(list.row),
      });
    }
  }
  return { names, columnLists };
}
