// scratch timing harness (not committed)
use rules::{Engine, Settings, SourceFile, flat::FlatTree, index::FileSummary};
use std::sync::Arc;
use std::time::Instant;
const LINES: usize = 5_000;
fn go_source() -> String {
    let mut s = String::from(
        "package bench\n\nimport (\n\t\"context\"\n\t\"errors\"\n\t\"fmt\"\n\t\"strings\"\n\t\"sync\"\n\t\"time\"\n)\n\n",
    );
    let mut i = 0;
    let mut typing_at = None;
    while s.lines().count() < LINES - 25 {
        if typing_at.is_none() && s.lines().count() >= LINES / 2 {
            s.push_str("// typing in the middle: \n\n");
            typing_at = Some(());
        }
        let f = match i % 12 {
            0 => format!(
                "// Store{i} keeps values by key.\ntype Store{i} struct {{\n\tmu   sync.Mutex\n\tdata map[string]int\n}}\n\n// Get returns the value of k.\nfunc (s *Store{i}) Get(k string) (int, error) {{\n\ts.mu.Lock()\n\tdefer s.mu.Unlock()\n\tv, ok := s.data[k]\n\tif !ok {{\n\t\treturn 0, fmt.Errorf(\"key %q: %w\", k, errNotFound)\n\t}}\n\treturn v, nil\n}}\n\n"
            ),
            1 | 5 | 9 => format!(
                "// worker{i} polls until the context ends.\nfunc worker{i}(ctx context.Context, ch chan int) error {{\n\tt := time.NewTicker(time.Second)\n\tdefer t.Stop()\n\tfor {{\n\t\tselect {{\n\t\tcase <-ctx.Done():\n\t\t\treturn ctx.Err()\n\t\tcase v := <-ch:\n\t\t\tif v > {i} {{\n\t\t\t\tfmt.Println(\"value\", v)\n\t\t\t}}\n\t\tcase <-t.C:\n\t\t}}\n\t}}\n}}\n\n"
            ),
            3 => format!(
                "// wait{i} returns once ready: the Tick leaks.\nfunc wait{i}(ready func() bool) {{\n\tfor range time.Tick(time.Millisecond) {{\n\t\tif ready() {{\n\t\t\treturn\n\t\t}}\n\t}}\n}}\n\n"
            ),
            2 | 6 | 10 => format!(
                "// join{i} renders the items.\nfunc join{i}(items []string, sep string) string {{\n\tvar b strings.Builder\n\tfor n, it := range items {{\n\t\tif n > 0 {{\n\t\t\tb.WriteString(sep)\n\t\t}}\n\t\tif it == \"\" {{\n\t\t\tcontinue\n\t\t}}\n\t\tb.WriteString(strings.TrimSpace(it))\n\t}}\n\treturn b.String()\n}}\n\n"
            ),
            4 | 8 => format!(
                "// fanOut{i} runs f on every input concurrently.\nfunc fanOut{i}(inputs []int, f func(int) error) error {{\n\tvar wg sync.WaitGroup\n\terrs := make(chan error, len(inputs))\n\tfor _, in := range inputs {{\n\t\twg.Add(1)\n\t\tgo func(v int) {{\n\t\t\tdefer wg.Done()\n\t\t\tif err := f(v); err != nil {{\n\t\t\t\terrs <- err\n\t\t\t}}\n\t\t}}(in)\n\t}}\n\twg.Wait()\n\tclose(errs)\n\treturn <-errs\n}}\n\n"
            ),
            _ => format!(
                "// parse{i} validates a config value.\nfunc parse{i}(raw map[string]string) (int, error) {{\n\tv, ok := raw[\"size\"]\n\tif !ok {{\n\t\treturn 0, errors.New(\"size missing\")\n\t}}\n\tn := 0\n\tfor _, c := range v {{\n\t\tif c < '0' || c > '9' {{\n\t\t\treturn 0, fmt.Errorf(\"size %q is not a number\", v)\n\t\t}}\n\t\tn = n*10 + int(c-'0')\n\t}}\n\treturn n, nil\n}}\n\n"
            ),
        };
        s.push_str(&f);
        i += 1;
    }
    s.push_str("var errNotFound = errors.New(\"not found\")\n");
    s
}

fn main() {
    let src = go_source();
    if let Some(mode) = std::env::args().nth(1) {
        let engine = Engine::new(Settings::default());
        let f = SourceFile::from_string("b.go", src.clone()).unwrap();
        let _ = f.flat();
        let decls = FileSummary::decls(&f);
        let s = Arc::new(FileSummary::extract_scoped(
            &f,
            decls.clone(),
            rules::index::FactScope::ALL,
        ));
        let idx = engine.index(vec![s], None);
        let a = Instant::now();
        let iters: usize = std::env::var("ITER")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(300);
        for _ in 0..iters {
            if mode == "facts" {
                std::hint::black_box(FileSummary::extract_scoped(
                    &f,
                    decls.clone(),
                    rules::index::FactScope::ALL,
                ));
            } else {
                std::hint::black_box(engine.lint_file(&f, 0, &idx));
            }
        }
        println!(
            "{mode} {:.2} ms",
            a.elapsed().as_secs_f64() * 1e3 / iters as f64
        );
        return;
    }
    let engine = Engine::new(Settings::default());
    let n = 60;
    let mut t = [0f64; 6];
    for _ in 0..n {
        let a = Instant::now();
        let f = SourceFile::from_string("b.go", src.clone()).unwrap();
        let b = Instant::now();
        let flat = FlatTree::build(f.tree());
        let c = Instant::now();
        drop(flat);
        let _ = f.flat();
        let d0 = Instant::now();
        let decls = FileSummary::decls(&f);
        let d = Instant::now();
        let s = Arc::new(FileSummary::extract_scoped(
            &f,
            decls,
            rules::index::FactScope::ALL,
        ));
        let e = Instant::now();
        let idx = engine.index(vec![s], None);
        let g = Instant::now();
        let l = engine.lint_file(&f, 0, &idx);
        let h = Instant::now();
        std::hint::black_box(l);
        for (k, v) in [b - a, c - b, d - d0, e - d, g - e, h - g]
            .iter()
            .enumerate()
        {
            t[k] += v.as_secs_f64() * 1e3 / n as f64;
        }
    }
    println!(
        "parse {:.2} flatten {:.2} decls {:.2} facts {:.2} index {:.2} lint {:.2} ms",
        t[0], t[1], t[2], t[3], t[4], t[5]
    );
}
