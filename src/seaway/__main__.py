from seaway.cli.main import main

main()
