from riskhub.cli import main

main()
