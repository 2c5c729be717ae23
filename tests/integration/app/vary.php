<?php
// Sets its own Vary; ?origin=1 also names Origin in a second Vary line; ?star=1 sends Vary: *.
header(isset($_GET['star']) ? 'Vary: *' : 'Vary: Accept-Encoding');
if (isset($_GET['origin'])) {
    header('Vary: Origin', false);
}
header('Content-Type: text/plain');
echo "vary\n";
