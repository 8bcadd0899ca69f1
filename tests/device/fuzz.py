# Loads and runs every model named in /rom/fuzz.txt (randomly damaged copies of zoo models):
# each must load and run, or raise, and the script run to its end.
import tinyml

ROM = "/rom/"


def main():
    with open(ROM + "fuzz.txt") as f:
        names = f.read().split()
    for name in names:
        try:
            model = tinyml.Model(ROM + name)
            model.invoke()
            model.close()
            print("CASE", name, "RAN")
        except Exception as err:
            print("CASE", name, type(err).__name__)


main()
