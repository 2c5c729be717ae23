<?php
// Flushes output before it ends: headers leave with the first chunk.
header('Content-Type: text/plain');
echo "first\n";
flush();
usleep(100000);
echo "second\n";
