from observer.cli import main

main(prog_name="observer")
