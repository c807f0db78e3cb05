def greet(word: str) -> str:
    return f"{word} from python"
