"""Print diplosearch's module import graph (module -> diplosearch modules it imports) and
fail if two modules import each other (directly or in a longer cycle). Imports under
``if TYPE_CHECKING:`` are listed apart and left out of the cycle check; imports inside
functions are marked (lazy)."""
import ast, sys
from pathlib import Path

root = Path(sys.argv[1] if len(sys.argv) > 1 else "src/diplosearch")
def modname(p): 
    parts = p.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
graph, lazy, typing_only, lines = {}, {}, {}, {}
for p in sorted(root.rglob("*.py")):
    m = modname(p); pkg = m if p.name == "__init__.py" else m.rsplit(".", 1)[0]
    tree = ast.parse(p.read_text()); lines[m] = len(p.read_text().splitlines())
    graph[m], lazy[m], typing_only[m] = set(), set(), set()
    tc = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.dump(node.test) for n in ast.walk(node)}
    funcs = {id(n) for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) for n in ast.walk(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
            targets = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("diplosearch"):
            targets = [node.module]
        else:
            continue
        kind = typing_only if id(node) in tc else lazy if id(node) in funcs else graph
        kind[m].update(t for t in targets if t != m)
mods = set(graph)
resolve = lambda t: t if t in mods else t.rsplit(".", 1)[0]
for m in graph:
    for d in (graph, lazy, typing_only): d[m] = {resolve(t) for t in d[m]} - {m}
for m in sorted(graph):
    extra = [f"{t} (lazy)" for t in sorted(lazy[m])] + [f"{t} (typing)" for t in sorted(typing_only[m])]
    print(f"{m} [{lines[m]} lines] -> {', '.join(sorted(graph[m]) + extra) or '-'}")
# cycles among module-level + lazy imports, ignoring the package __init__ re-exports
edges = {m: {t for t in graph[m] | lazy[m] if t != "diplosearch"} for m in graph if m != "diplosearch"}
bad = []
def visit(m, stack):
    for t in edges.get(m, ()):
        if t in stack: bad.append(stack[stack.index(t):] + [t])
        elif len(stack) < 20: visit(t, stack + [t])
for m in edges: visit(m, [m])
cycles = {" -> ".join(c) for c in bad}
print("cycles:", sorted(cycles) or "none")
sys.exit(1 if cycles else 0)
