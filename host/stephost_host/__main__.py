from stephost_host.cli import main

main()
