import { Kind, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

/**
 * The names (not aliases) of the fields a query selects below the field being resolved, through
 * fragments; `path` descends through fields first (e.g. `['items']` for the items of a page).
 *
 * Read from the document alone, not with graphql's type functions (or graphql-tools'
 * `collectSubFields`): the schema's objects may come from another copy of the graphql module
 * (graphql-yoga's, under the test runner), which those refuse. So the answer is a
 * superset: `@skip`/`@include` and fragments' type conditions are not applied, which can only add
 * fields. Callers use it to read less, never to decide what to answer.
 */
export function selectedFields(info: GraphQLResolveInfo, path: readonly string[] = []): Set<string> {
  let sets = info.fieldNodes.flatMap((node) => (node.selectionSet === undefined ? [] : [node.selectionSet]));
  for (const step of path) {
    const next: SelectionSetNode[] = [];
    for (const set of sets) {
      forEachField(info, set, (name, selectionSet) => {
        if (name === step && selectionSet !== undefined) next.push(selectionSet);
      });
    }
    sets = next;
  }
  const names = new Set<string>();
  for (const set of sets) forEachField(info, set, (name) => names.add(name));
  return names;
}

function forEachField(
  info: GraphQLResolveInfo,
  set: SelectionSetNode,
  visit: (name: string, selectionSet: SelectionSetNode | undefined) => void,
  seen = new Set<string>(),
): void {
  for (const selection of set.selections) {
    if (selection.kind === Kind.FIELD) {
      visit(selection.name.value, selection.selectionSet);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      forEachField(info, selection.selectionSet, visit, seen);
    } else {
      const name = selection.name.value;
      const fragment = info.fragments[name];
      // a fragment spread twice (or, in an invalid document, in a cycle) is read once
      if (fragment === undefined || seen.has(name)) continue;
      seen.add(name);
      forEachField(info, fragment.selectionSet, visit, seen);
    }
  }
}
