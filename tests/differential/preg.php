<?php
// PHP's side of the differential test: what preg_match() says for every pattern and origin.
//
//   php preg.php PATTERNS_FILE ORIGINS_FILE
//
// Same files and numbering as cors-pattern-tool (one entry per line, raw bytes, numbered
// from 1). Prints, TAB-separated:
//
//   P  -  E  msg   preg_match() warns that pattern P does not compile (PHP's message)
//   P  O  V [why]  pattern P against origin O, every origin (run.sh keeps the valid ones):
//                  V = 1 when preg_match() returns 1, else 0; when it returns false the
//                  fourth field is preg_last_error_msg() (e.g. "Backtrack limit exhausted")
//
// Each pattern is passed to preg_match() exactly as a PHP application would pass it,
// the subject as $_SERVER['HTTP_ORIGIN'] would hold it.

function entries(string $path): array
{
    $text = file_get_contents($path);
    if ($text === false) {
        fwrite(STDERR, "preg.php: cannot read $path\n");
        exit(2);
    }
    if ($text === '') {
        return [];
    }
    $lines = explode("\n", $text);
    if (end($lines) === '') {
        array_pop($lines);   // the final newline ends the last entry
    }
    return $lines;
}

function one_line(string $s): string
{
    return strtr($s, "\n\r\t", '   ');
}

if ($argc !== 3) {
    fwrite(STDERR, "usage: php preg.php PATTERNS_FILE ORIGINS_FILE\n");
    exit(2);
}
$patterns = entries($argv[1]);
$origins = entries($argv[2]);

$out = fopen('php://stdout', 'wb');
foreach ($patterns as $pi => $pattern) {
    $p = $pi + 1;
    // Compile once (PHP caches the compiled pattern): a compile error is a warning
    // and false, whatever the subject.
    error_clear_last();
    $r = @preg_match($pattern, '');
    $warning = error_get_last();
    if ($r === false && $warning !== null) {
        $msg = preg_replace('/^preg_match\(\): /', '', $warning['message']);
        fwrite($out, "$p\t-\tE\t" . one_line($msg) . "\n");
        continue;
    }
    foreach ($origins as $oi => $origin) {
        $o = $oi + 1;
        error_clear_last();
        $r = @preg_match($pattern, $origin);
        if ($r === 1) {
            fwrite($out, "$p\t$o\t1\n");
        } elseif ($r === 0) {
            fwrite($out, "$p\t$o\t0\n");
        } else {
            fwrite($out, "$p\t$o\t0\t" . one_line(preg_last_error_msg()) . "\n");
        }
    }
}
fclose($out);
