from graphrep.cli import console_main

console_main()
