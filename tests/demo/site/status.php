<?php
// Demo only, served on the partner and stranger page origins (same origin as the demo page,
// no CORS involved): what mod_cors logged (LogLevel cors:debug) and what reached the PHP app,
// for the calls whose URL carries ?marker.
header('Content-Type: application/json');
header('Cache-Control: no-store');
$marker = $_GET['marker'] ?? '';
$out = ['decisions' => [], 'hits' => []];
if (isset($_GET['config'])) {
    $out['policy'] = @file_get_contents($_SERVER['DEMO_POLICY']) ?: '';
    $out['startup'] = [];
}
$lines = @file($_SERVER['DEMO_ERROR_LOG'], FILE_IGNORE_NEW_LINES) ?: [];
foreach (array_slice($lines, -5000) as $line) {
    // [time] [cors:LEVEL] [pid P:tid T] (file(line): )?([client ADDR] )?message(, referer: URL)?
    if (!preg_match('/\[cors:(\w+)\] \[pid [^\]]*\] (?:\S+\(\d+\): )?(\[client [^\]]+\] )?(.*)$/', $line, $m)) continue;
    $text = preg_replace('/, referer: \S*$/', '', $m[3]);
    if (isset($_GET['config']) && $m[2] === '') $out['startup'][] = "[cors:{$m[1]}] $text";
    if ($marker !== '' && strpos($text, $marker) !== false) {
        $out['decisions'][] = ['level' => $m[1], 'text' => $text];
    }
}
if ($marker !== '') {
    foreach (@file($_SERVER['HITS_LOG'], FILE_IGNORE_NEW_LINES) ?: [] as $line) {
        $hit = json_decode($line, true);
        if ($hit && ($hit['id'] ?? '') === $marker) $out['hits'][] = $hit;
    }
}
echo json_encode($out);
