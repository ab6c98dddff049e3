assert(_home.peek() == 43)
